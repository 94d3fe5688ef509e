"""The Static buildpack (id "static"; being written: issue 9)."""

from __future__ import annotations

from .build import StaticBuildpack

__all__ = ["StaticBuildpack"]
