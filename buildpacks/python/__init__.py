"""The Python buildpack (id "python"): CPython from Debian, dependencies in a venv layer; see build.py."""

from __future__ import annotations

from .build import PythonBuildpack

__all__ = ["PythonBuildpack"]
