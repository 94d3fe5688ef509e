"""The Go buildpack (id "go"; being written: issue 9)."""

from __future__ import annotations

from .build import GoBuildpack

__all__ = ["GoBuildpack"]
