"""Fixtures for the CI recipe tests: the Docker Hub double, and a wheelhouse holding dockless and its dependencies."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ci.dockerhub import DockerHubDouble, running_docker_hub_double

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def docker_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DockerHubDouble]:
    if os.geteuid() != 0:
        pytest.skip("the Docker Hub double binds port 443 and remaps /etc/hosts in a mount namespace: needs root")
    with running_docker_hub_double(tmp_path_factory.mktemp("docker-hub")) as hub:
        yield hub


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`pip wheel` of this checkout: dockless's wheel and every dependency's, from PyPI, so that a job's
    verbatim `pip install dockless` installs this dockless (PIP_NO_INDEX + PIP_FIND_LINKS)."""
    dest = tmp_path_factory.mktemp("wheelhouse")
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--disable-pip-version-check",
                           "-w", str(dest), str(REPO_ROOT)], capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    return dest
