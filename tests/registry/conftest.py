"""Fixtures only the registry client tests need (the shared ones live in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.infra.registry import Registry
from tests.registry.tokenauth import TokenRegistry, running_token_registry
from tests.registry.urlregistry import running_url_registry


@pytest.fixture(scope="session")
def token_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TokenRegistry]:
    """distribution 2.8 with Bearer token auth (the Docker Hub / GHCR protocol) and its token server."""
    with running_token_registry(tmp_path_factory.mktemp("token-registry")) as reg:
        yield reg


@pytest.fixture(scope="session")
def url_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    """distribution 2.8 with auth that accepts https:// layer URLs (non-distributable layers)."""
    with running_url_registry(tmp_path_factory.mktemp("url-registry")) as reg:
        yield reg
