"""A root start script that runs a workspace member's: `npm run start --workspace=apps/api`.

The fresh-user trial's monorepo passed detect with that root scripts.start,
then failed after the whole install with "it runs npm, which is not in the
image". It is now translated into the member's own start script, run in the
member's directory; a member or script the app lacks fails at detect, in one
line that suggests `--subdir`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from builder.lifecycle.layercache import DirLayerCache
from buildpacks.nodejs import NodeBuildpack, scripts
from detectors.nodejs import NodeDetector
from tests.e2e.cli import assert_clean_error, dockless
from tests.infra.registry import Registry

from .building import build_app, make_app
from .test_linked_scripts import MONO


def _mono(root: Path, start: str) -> Path:
    files: dict[str, Any] = dict(MONO)
    files["package.json"] = {**MONO["package.json"], "scripts": {"start": start}}
    return make_app(root, files)


@pytest.mark.parametrize("start", ["npm run start --workspace=apps/api", "npm run start --workspace apps/api",
                                   "npm start -w apps/api", "npm --prefix apps/api start",
                                   "npm start --workspace=@m/api", "yarn workspace @m/api start"])
def test_member_start_scripts_become_the_members_command(tmp_path: Path, start: str) -> None:
    app = _mono(tmp_path / "app", start)
    assert NodeDetector().detect(app, {}).passed
    package = json.loads((app / "package.json").read_text())
    manager = "yarn" if start.startswith("yarn") else "npm"
    _, command, notes = scripts.launch_commands({}, "scripts.start", start, package, manager=manager, workspace=app)
    assert command == 'cd apps/api && exec node server.js "$@"'
    assert f"process 'web': '{start}' runs in apps/api" in notes


@pytest.mark.parametrize(("start", "words"), [
    ("npm run start --workspace=apps/nope", "this app has no package apps/nope: build that member with "
                                            "`--subdir apps/nope`"),
    ("npm run serve -w apps/api", "apps/api/package.json has no scripts.serve: build that member with "
                                  "`--subdir apps/api`"),
])
def test_an_unresolvable_member_script_fails_at_detect_in_one_line(tmp_path: Path, start: str, words: str) -> None:
    detection = NodeDetector().detect(_mono(tmp_path / "app", start), {})
    assert not detection.passed
    assert detection.malformed is not None and "\n" not in detection.malformed
    assert words in detection.malformed


def test_root_build_starts_the_member_from_its_directory(tmp_path: Path, buildpack: NodeBuildpack,
                                                        node_cache: DirLayerCache, downloads: Path) -> None:
    built = build_app(_mono(tmp_path / "app", "npm run start --workspace=apps/api"), buildpack, node_cache, downloads)
    assert built.result is not None
    web = next(p for p in built.result.processes if p.type == "web")
    assert web.command[-2:] == ('cd apps/api && exec node server.js "$@"', "sh")  # launch check passed


def test_the_image_serves_the_member(tmp_path: Path, registry: Registry, docker_config: Path, repo_name: str,
                                     docker_engine: object) -> None:
    from tests.infra.docker_engine import serve_then_stop

    cache = tmp_path / "cache"
    run = dockless("build", str(_mono(tmp_path / "app", "npm run start --workspace=apps/api")), "--image",
                   f"{registry.host}/{repo_name}:v1", docker_config=docker_config, cache_dir=cache)
    assert run.code == 0, run.stderr
    body, _ = serve_then_stop(run.last_line, docker_config=docker_config)
    assert body == "shared says hi"
    bad = dockless("build", str(_mono(tmp_path / "bad", "npm run start --workspace=apps/nope")), "--image",
                   f"{registry.host}/{repo_name}:v2", docker_config=docker_config, cache_dir=cache)
    assert_clean_error(bad, 2, "--subdir apps/nope")
    assert "running npm ci" not in bad.stderr  # refused before any install


def test_a_member_build_is_not_refused_for_the_roots_start_script(tmp_path: Path) -> None:
    """--subdir apps/api: the root's start names a missing member, but the member's own start is used."""
    app = _mono(tmp_path / "app", "npm run start --workspace=apps/nope")
    detection = NodeDetector().detect(app, {}, app_dir="apps/api")
    assert detection.passed, detection.reasons
    assert detection.metadata("node")["package_manager"] == "npm"
    assert detection.metadata("node")["start_command"] == "node server.js"
