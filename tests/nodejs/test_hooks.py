"""Heroku's and Google's build hooks: heroku-prebuild, heroku-postbuild / gcp-build instead of build, heroku-cleanup.

Rules (detectors.nodejs, BUILD STEP): GOOGLE_NODE_RUN_SCRIPTS > heroku-postbuild
> gcp-build > build; heroku-prebuild before the install; heroku-cleanup after the
build and the prune. The build tests use the real npm registry.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from builder.errors import UsageError
from builder.lifecycle.layercache import DirLayerCache
from buildpacks.nodejs import NodeBuildpack
from detectors.nodejs import NodeDetector

from .building import build_app, make_app

WRITE = "node -e \"require('fs').appendFileSync('steps.txt', '{0} ' + require('fs').existsSync('{1}') + '\\\\n')\""


def step(name: str, probe: str = "node_modules/is-number") -> str:
    """A script that records that it ran, and whether `probe` existed then."""
    return WRITE.format(name, probe)


def requires(tmp_path: Path, scripts: dict[str, str],
             env: dict[str, str] | None = None) -> tuple[dict[str, str], tuple[str, ...]]:
    make_app(tmp_path, {"package.json": {"scripts": scripts}})
    detection = NodeDetector().detect(tmp_path, env or {})
    return dict(detection.metadata("node")), detection.reasons


@pytest.mark.parametrize(("scripts", "env", "chosen"), [
    ({"build": "a", "heroku-postbuild": "b", "gcp-build": "c"}, {}, "heroku-postbuild"),
    ({"build": "a", "gcp-build": "c"}, {}, "gcp-build"),
    ({"build": "a"}, {}, "build"),
    ({"build": "a", "heroku-postbuild": "b", "lint": "d"}, {"GOOGLE_NODE_RUN_SCRIPTS": "lint,build"}, "lint,build"),
    ({"build": "a", "heroku-postbuild": ""}, {}, ""),  # Heroku: an empty heroku-postbuild turns the build off
    ({"build": "a", "gcp-build": ""}, {}, ""),         # Google documents `"gcp-build": ""` for the same
    ({"build": "a"}, {"GOOGLE_NODE_RUN_SCRIPTS": ""}, ""),
    ({"start": "node x"}, {}, ""),
])
def test_which_build_step_runs(tmp_path: Path, scripts: dict[str, str], env: dict[str, str], chosen: str) -> None:
    meta, reasons = requires(tmp_path, scripts, env)
    assert meta["build_scripts"] == chosen
    assert meta["build_script"] == ("true" if chosen else "false")
    if chosen == "heroku-postbuild":
        assert "scripts.heroku-postbuild runs after the install, instead of scripts.build (Heroku's rule): b" in reasons
    if chosen == "gcp-build":
        assert "scripts.gcp-build runs after the install, instead of scripts.build (Google's rule): c" in reasons
    if not chosen and scripts.get("heroku-postbuild") == "":
        assert "no build step: scripts.heroku-postbuild is empty, instead of scripts.build (Heroku's rule)" in reasons


def test_heroku_prebuild_and_cleanup_are_reported(tmp_path: Path) -> None:
    meta, reasons = requires(tmp_path, {"heroku-prebuild": "echo pre", "heroku-cleanup": "echo clean"})
    assert meta["prebuild_scripts"] == "heroku-prebuild" and meta["cleanup_scripts"] == "heroku-cleanup"
    assert "scripts.heroku-prebuild runs before the install (Heroku's hook): echo pre" in reasons
    assert "scripts.heroku-cleanup runs after the build and the prune (Heroku's hook): echo clean" in reasons


def test_google_node_run_scripts_must_name_existing_scripts(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="GOOGLE_NODE_RUN_SCRIPTS names scripts package.json does not have: nope"):
        requires(tmp_path, {"build": "a"}, {"GOOGLE_NODE_RUN_SCRIPTS": "build,nope"})


PACKAGE = {
    "name": "hooks", "version": "1.0.0", "engines": {"node": "22"},
    "dependencies": {"ms": "2.1.3"}, "devDependencies": {"is-number": "7.0.0"},
    "scripts": {
        "heroku-prebuild": step("prebuild"),
        "build": step("build"),
        "heroku-postbuild": step("postbuild") + " && node -e \"require('fs').mkdirSync('dist');"
                            "require('fs').writeFileSync('dist/server.js', '')\"",
        "heroku-cleanup": step("cleanup"),
    },
}


def test_hooks_run_in_heroku_order_on_cold_and_warm_builds(tmp_path: Path, buildpack: NodeBuildpack,
                                                           node_cache: DirLayerCache, downloads: Path) -> None:
    """prebuild before the install (no node_modules), postbuild with devDependencies, cleanup after the prune."""
    files = {"package.json": PACKAGE, "Procfile": "web: node dist/server.js\n"}
    for name in ("cold", "warm"):
        app = make_app(tmp_path / name, files)
        built = build_app(app, buildpack, node_cache, downloads)
        steps = (app / "steps.txt").read_text().split("\n")
        assert steps[:3] == ["prebuild false", "postbuild true", "cleanup false"], (name, steps)
        assert (app / "dist" / "server.js").is_file()  # the postbuild output ships, and the launch check saw it
        assert "running npm run heroku-postbuild" in built.log and "running npm run build" not in built.log
        assert not (built.layer("node_modules") / "is-number").exists()


def test_without_dependencies_the_hooks_still_run(tmp_path: Path, buildpack: NodeBuildpack,
                                                  node_cache: DirLayerCache, downloads: Path) -> None:
    package = {"name": "bare", "version": "1.0.0", "engines": {"node": "22"},
               "scripts": {"gcp-build": "node -e \"require('fs').writeFileSync('out.js', '')\"",
                           "build": "exit 1", "start": "node out.js"}}
    app = make_app(tmp_path / "bare", {"package.json": package})
    built = build_app(app, buildpack, node_cache, downloads)
    assert (app / "out.js").is_file()
    assert "running npm run gcp-build" in built.log
