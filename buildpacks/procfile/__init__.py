"""The Procfile buildpack (id "procfile"; being written: issue 9)."""

from __future__ import annotations

from .build import ProcfileBuildpack

__all__ = ["ProcfileBuildpack"]
