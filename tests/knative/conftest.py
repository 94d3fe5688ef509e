"""The Knative chapter tests use the end-to-end fixtures: one dockless cache for the session's builds."""

from __future__ import annotations

from tests.e2e.conftest import build_cache

__all__ = ["build_cache"]
