"""devDependencies in the image: Heroku's switches keep them; a start command that needs a pruned one says so.

Real npm registry, real npm and yarn 1, the production buildpack. `semver` is a
small devDependency with a `semver` command, standing in for `ts-node`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from builder.errors import BuildError
from builder.lifecycle.layercache import DirLayerCache
from buildpacks.nodejs import NodeBuildpack
from buildpacks.nodejs.checks import dev_bins, node_script

from .building import Built, build_app, make_app

PACKAGE = {"name": "dev-cmd", "version": "1.0.0", "engines": {"node": "22"}, "scripts": {"start": "semver 1.2.3"},
           "dependencies": {"ms": "2.1.3"}, "devDependencies": {"semver": "7.6.3", "@types/node": "22.10.0"}}


def test_dev_bins_name_the_package_and_never_node(tmp_path: Path) -> None:
    app = make_app(tmp_path / "app", {"package.json": PACKAGE, "package-lock.json": {
        "lockfileVersion": 3, "packages": {"node_modules/semver": {"dev": True, "bin": {"semver": "bin/semver.js"}},
                                           "node_modules/@types/node": {"dev": True}}}})
    assert dev_bins(app) == {"semver": "semver"}


@pytest.mark.parametrize("manager", ["npm", "yarn"])
def test_a_pruned_dev_command_fails_naming_the_package(tmp_path: Path, manager: str, buildpack: NodeBuildpack,
                                                      node_cache: DirLayerCache, downloads: Path) -> None:
    files = {"package.json": {**PACKAGE, **({"packageManager": "yarn@1.22.22"} if manager == "yarn" else {})}}
    built = Built()
    with pytest.raises(BuildError) as error:
        build_app(make_app(tmp_path / "app", files), buildpack, node_cache, downloads, built=built)
    assert error.value.message == ("process 'web' cannot start: 'semver' comes from the devDependency semver, "
                                   "which is pruned from the image")
    assert "move semver from devDependencies to dependencies" in error.value.hint
    assert "NPM_CONFIG_PRODUCTION=false" in error.value.hint and "YARN_PRODUCTION=false" in error.value.hint


@pytest.mark.parametrize(("manager", "switch"), [("npm", "NPM_CONFIG_PRODUCTION"), ("yarn", "YARN_PRODUCTION")])
def test_the_heroku_switch_keeps_dev_dependencies(tmp_path: Path, manager: str, switch: str,
                                                  buildpack: NodeBuildpack, node_cache: DirLayerCache,
                                                  downloads: Path) -> None:
    files = {"package.json": {**PACKAGE, **({"packageManager": "yarn@1.22.22"} if manager == "yarn" else {})}}
    for run in ("cold", "warm"):
        built = build_app(make_app(tmp_path / run, files), buildpack, node_cache, downloads, env={switch: "false"})
        assert f"{switch}=false: devDependencies are kept in the image (not pruned)" in built.log, built.log
        modules = built.layer("node_modules")
        assert (modules / ".bin" / "semver").exists() and (modules / "ms").is_dir()
        assert not any(line.startswith("running") and ("prune" in line or "--production=true" in line)
                       for line in built.log), built.log
    # the unpruned tree is cached apart: without the switch the build prunes (and then fails the check)
    with pytest.raises(BuildError, match="devDependency semver, which is pruned"):
        build_app(make_app(tmp_path / "off", files), buildpack, node_cache, downloads)


def test_the_hint_names_the_apps_own_node_script(tmp_path: Path, buildpack: NodeBuildpack,
                                                 node_cache: DirLayerCache, downloads: Path) -> None:
    """NestJS: `"start": "nest start"` (@nestjs/cli, a devDependency) beside `"start:prod": "node dist/main"`."""
    package = {**PACKAGE, "scripts": {"build": "node -e \"require('fs').mkdirSync('dist');"
                                               "require('fs').writeFileSync('dist/main.js','')\"",
                                      "start": "semver 1.2.3", "start:dev": "node --watch src/main.js",
                                      "start:prod": "node dist/main"}}
    with pytest.raises(BuildError) as error:
        build_app(make_app(tmp_path / "app", {"package.json": package}), buildpack, node_cache, downloads)
    assert "devDependency semver, which is pruned" in error.value.message
    assert error.value.hint.endswith("; or use 'web: npm run start:prod' in a Procfile (it runs node dist/main)")


@pytest.mark.parametrize(("scripts", "manager", "expected"), [
    ({"start": "nest start", "start:prod": "node dist/main"}, "npm", ("npm run start:prod", "node dist/main")),
    ({"serve": "node server.js", "test": "node --test"}, "yarn-berry", ("yarn serve", "node server.js")),
    ({"start": "nest start", "build": "node build.js"}, "pnpm", None),
    ({}, "npm", None),
])
def test_node_script(scripts: dict[str, str], manager: str, expected: tuple[str, str] | None) -> None:
    assert node_script({"scripts": scripts}, manager) == expected
