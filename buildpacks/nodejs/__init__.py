"""The Node.js buildpack (id "nodejs"): Node.js from the npm registry, node_modules, launch processes.

Pairs with `detectors.nodejs.NodeDetector`, whose `Detection.requires` it acts on.
"""

from __future__ import annotations

from .build import NodeBuildpack

__all__ = ["NodeBuildpack"]
