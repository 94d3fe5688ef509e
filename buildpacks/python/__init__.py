"""The Python buildpack (id "python"; being written: issue 9)."""

from __future__ import annotations

from .build import PythonBuildpack

__all__ = ["PythonBuildpack"]
