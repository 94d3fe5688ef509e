"""The Java buildpack (id "java"): a JDK from Debian at build, Maven, the app unpacked, a JRE at launch.

Pairs with `detectors.java.JavaDetector`, whose `Detection.requires` it acts on.
"""

from __future__ import annotations

from .build import JavaBuildpack

__all__ = ["JavaBuildpack"]
