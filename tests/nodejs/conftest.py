"""Shared fixtures for the Node.js tests: one layer cache and download dir per session, so Node.js
and npm are downloaded from the real npm registry once, not once per test."""

from __future__ import annotations

import os
import ssl
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from buildpacks.nodejs import NodeBuildpack
from buildpacks.nodejs.registry import DEFAULT_REGISTRY, NpmRegistry

from builder.lifecycle.layercache import DirLayerCache


@pytest.fixture(scope="session")
def node_cache(tmp_path_factory: pytest.TempPathFactory) -> DirLayerCache:
    return DirLayerCache(tmp_path_factory.mktemp("node-layer-cache"))


@pytest.fixture(scope="session")
def downloads(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("node-downloads")


@pytest.fixture(scope="session")
def npm_registry(downloads: Path) -> Iterator[NpmRegistry]:
    """The real npm registry, trusted through SSL_CERT_FILE like the buildpack does."""
    ca = os.environ.get("SSL_CERT_FILE")
    with httpx.Client(verify=ssl.create_default_context(cafile=ca) if ca else True, timeout=60) as client:
        yield NpmRegistry(client, DEFAULT_REGISTRY, downloads, log=lambda message: None)


@pytest.fixture(scope="session")
def buildpack() -> NodeBuildpack:
    return NodeBuildpack.from_environ(os.environ)
