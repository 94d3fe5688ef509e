"""Fixtures only the registry client tests need (the shared ones live in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.registry.tokenauth import TokenRegistry, running_token_registry


@pytest.fixture(scope="session")
def token_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TokenRegistry]:
    """distribution 2.8 with Bearer token auth (the Docker Hub / GHCR protocol) and its token server."""
    with running_token_registry(tmp_path_factory.mktemp("token-registry")) as reg:
        yield reg
