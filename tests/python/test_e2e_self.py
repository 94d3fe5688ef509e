"""dockless builds dockless: its own source (a setuptools pyproject with a `dockless` console script) as an image.

The image's entrypoint is `dockless` (the one [project.scripts] entry), it runs
as a numeric non-root user, and `docker run IMAGE inspect|copy …` works against
the authenticated test registry with a mounted docker config.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path

from tests.e2e.cli import dockless
from tests.infra.docker_engine import docker_run_output
from tests.infra.registry import Registry
from tests.python.test_e2e_python import layer_with, layers

Publish = Callable[..., tuple[str, str]]
ROOT = Path(__file__).resolve().parents[2]
NOT_SOURCE = shutil.ignore_patterns(".git", ".venv", "venv", "__pycache__", "*.egg-info", ".mypy_cache",
                                    ".pytest_cache", "build", "dist")


def test_dockless_builds_itself_and_the_image_inspects_and_copies_against_the_registry(
        publish: Publish, registry: Registry, docker_config: Path, build_cache: Path, repo_name: str,
        tmp_path: Path, docker_engine: object) -> None:
    source = tmp_path / "dockless-source"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCE, symlinks=True)
    _, url = publish(source)
    image = f"{registry.host}/{repo_name}"
    run = dockless("build", url, "--image", f"{image}:v1", docker_config=docker_config, cache_dir=build_cache)
    assert run.code == 0, run.stderr
    assert "starts with 'dockless' from pyproject.toml [project.scripts] dockless" in run.stderr
    pinned = run.last_line
    digest = pinned.split("@")[1]

    manifest = json.loads(registry.manifest(repo_name, digest)[0])
    config = json.loads(registry.blob(repo_name, manifest["config"]["digest"]))["config"]
    assert config["Entrypoint"] == ["/layers/python/project/bin/dockless"] and not config.get("Cmd")
    user = config["User"].split(":")[0]
    assert re.fullmatch(r"[1-9]\d*", user)

    # the container reads the registry's credentials from a mounted docker config, as a CI step would
    mounted = tmp_path / "mounted-docker-config"
    shutil.copytree(docker_config, mounted)
    for path in [mounted, *mounted.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    config_args = ("-v", f"{mounted}:/docker-config:ro", "-e", "DOCKER_CONFIG=/docker-config")
    assert docker_run_output(pinned, "--version", docker_config=docker_config).startswith("dockless")
    inspected = docker_run_output(pinned, "inspect", f"{image}:v1", extra_args=config_args,
                                  docker_config=docker_config)
    assert digest in inspected
    copied = docker_run_output(pinned, "copy", f"{image}:v1", f"{image}-copy:v1", extra_args=config_args,
                               docker_config=docker_config)
    assert digest in copied
    assert registry.tags(f"{repo_name}-copy") == ["v1"]
    assert registry.manifest_digest(f"{repo_name}-copy", "v1") == digest

    # a code-only change: the dependencies' venv is reused as the same blob; only the package and app change
    (source / "builder" / "__init__.py").write_text((source / "builder" / "__init__.py").read_text() + "# changed\n")
    _, changed = publish(source)
    again = dockless("build", changed, "--image", f"{image}:v2", docker_config=docker_config, cache_dir=build_cache)
    assert again.code == 0, again.stderr
    assert "venv: reused the cached layer" in again.stderr
    venv = layer_with(layers(registry, repo_name, digest), "layers/python/venv")
    assert layer_with(layers(registry, repo_name, again.last_line.split("@")[1]), "layers/python/venv") == venv
