"""The builder image, made once per session by `dockless builder create` and pushed to the auth registry."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.cli import dockless
from tests.e2e.conftest import build_cache
from tests.infra.docker_engine import docker
from tests.infra.registry import Registry

__all__ = ["build_cache", "builder_image"]


@pytest.fixture(scope="session")
def builder_image(registry: Registry, build_cache: Path, tmp_path_factory: pytest.TempPathFactory,
                  docker_engine: object) -> str:
    """REPO@sha256:… of the builder image made from this checkout, pulled into the Docker engine."""
    config = registry.docker_config_dir(tmp_path_factory.mktemp("builder-config"))
    run = dockless("builder", "create", "--image", f"{registry.host}/dockless/builder:test",
                   docker_config=config, cache_dir=build_cache)
    assert run.code == 0, run.stderr
    docker("pull", "-q", run.last_line, docker_config=config)
    return run.last_line
