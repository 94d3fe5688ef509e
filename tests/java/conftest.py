"""The Java tests use the end-to-end fixtures: examples published as git:// repos and one dockless cache."""

from __future__ import annotations

from tests.e2e.conftest import build_cache, publish

__all__ = ["build_cache", "publish"]
