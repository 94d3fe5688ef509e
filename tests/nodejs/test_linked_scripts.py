"""Warm builds repeat the linked packages' install scripts: same files, same image as a cold build.

The failing input of the fresh-user trial (issue: warm workspace build): an npm
workspace built with `--subdir apps/api`, whose sibling packages/shared compiles
its gitignored `lib/index.js` in `prepare`. `npm ci` runs that script for the
link; a warm build restored the cached node_modules and ran only the root's
scripts, so the image had no lib/ (exit 0, crash at start, another digest).
Everything here is real: the npm registry, npm, yarn 1, the buildpack, and for
the image digests the `dockless build` command with a local registry.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from builder.lifecycle.contract import BuildContext, BuildpackPlan
from builder.lifecycle.layercache import DirLayerCache
from buildpacks.nodejs import NodeBuildpack
from buildpacks.nodejs.deps import replay_commands
from detectors.nodejs import NodeDetector
from tests.e2e.cli import dockless
from tests.infra.registry import Registry

from .building import Built, make_app
from .support import host_executor, tree_digest

GEN = ("const fs = require('fs'); fs.mkdirSync('lib', {recursive: true});\n"
       "fs.writeFileSync('lib/index.js', 'module.exports = () => \"shared says hi\";\\n');\n")
SERVER = ("const http = require('http'); const hi = require('@m/shared');\n"
          "http.createServer((q, r) => r.end(hi())).listen(process.env.PORT || 8080);\n"
          "process.on('SIGTERM', () => process.exit(0));\n")
WRITE_F = "node -e \"require('fs').writeFileSync('built.txt', 'f')\""
MONO: dict[str, Any] = {
    "package.json": {"name": "mono", "private": True, "workspaces": ["packages/*", "apps/*"],
                     "dependencies": {"local-f": "file:libs/f"}},
    "apps/api/package.json": {"name": "@m/api", "version": "1.0.0", "scripts": {"start": "node server.js"},
                              "dependencies": {"@m/shared": "*", "ms": "2.1.3"}},
    "apps/api/server.js": SERVER,
    "apps/worker/package.json": {"name": "@m/worker", "version": "1.0.0",
                                 "scripts": {"prepare": "node -e \"require('fs').writeFileSync('w.txt', 'x')\""}},
    "packages/shared/package.json": {"name": "@m/shared", "version": "1.0.0", "main": "lib/index.js",
                                     "scripts": {"prepare": "node gen.js"}},
    "packages/shared/gen.js": GEN,
    "packages/shared/.gitignore": "lib\n",
    "libs/f/package.json": {"name": "local-f", "version": "1.0.0", "scripts": {"postinstall": WRITE_F}},
    "package-lock.json": {"name": "mono", "lockfileVersion": 3, "requires": True, "packages": {
        "": {"name": "mono", "workspaces": ["packages/*", "apps/*"], "dependencies": {"local-f": "file:libs/f"}},
        "apps/api": {"name": "@m/api", "version": "1.0.0", "dependencies": {"@m/shared": "*", "ms": "2.1.3"}},
        "apps/worker": {"name": "@m/worker", "version": "1.0.0"},
        "libs/f": {"name": "local-f", "version": "1.0.0", "hasInstallScript": True},
        "node_modules/@m/api": {"resolved": "apps/api", "link": True},
        "node_modules/@m/shared": {"resolved": "packages/shared", "link": True},
        "node_modules/@m/worker": {"resolved": "apps/worker", "link": True},
        "node_modules/local-f": {"resolved": "libs/f", "link": True},
        "node_modules/ms": {"version": "2.1.3", "resolved": "https://registry.npmjs.org/ms/-/ms-2.1.3.tgz",
                            "integrity": "sha512-6FlzubTLZG3J2a/NVCAleEhjzq5oxgHyaCU9yYXvcLsvoVaHJq/s5xXI6/XXP6tz7R9xAOtHnSO/"
                                         "tXtF3WRTlA==", "license": "MIT"},
        "packages/shared": {"name": "@m/shared", "version": "1.0.0"}}},
}


def _app_tree(workspace: Path) -> dict[str, str]:
    """Every file of the built workspace but node_modules (what the app layer takes), with its content."""
    return {p.relative_to(workspace).as_posix(): p.read_text() for p in sorted(workspace.rglob("*"))
            if p.is_file() and "node_modules" not in p.relative_to(workspace).parts}


def _build(app: Path, buildpack: NodeBuildpack, cache: DirLayerCache, downloads: Path, app_dir: str) -> Built:
    built = Built()
    detection = NodeDetector().detect(app, {}, app_dir=app_dir)
    assert detection.passed, detection.reasons
    executor = host_executor(app)
    layers = app.parent / f"{app.name}-layers"
    layers.mkdir(exist_ok=True)
    ctx = BuildContext(app, layers, BuildpackPlan(detection.requires), {}, executor, cache, downloads,
                       log=built.log.append, app_dir=app_dir)
    built.result = buildpack.build(ctx)
    built.output = [" ".join(argv) for _, argv in executor.calls]
    return built


def test_npm_replays_the_links_scripts_in_arborists_order(tmp_path: Path) -> None:
    app = make_app(tmp_path / "mono", MONO)
    package = json.loads((app / "package.json").read_text())
    member = replay_commands(app, package, "npm", "npm", "apps/api")
    assert member == [("npm", "--prefix", "packages/shared", "run", "--ignore-scripts", "prepare"),
                      ("npm", "--prefix", "libs/f", "run", "--ignore-scripts", "postinstall")]
    whole = replay_commands(app, package, "npm", "npm")  # no --workspace: every link, apps/worker too
    assert ("npm", "--prefix", "apps/worker", "run", "--ignore-scripts", "prepare") in whole
    root = {**package, "scripts": {"preinstall": "a", "install": "b", "prepare": "c"}}
    assert replay_commands(app, root, "npm", "npm", "apps/api")[2:] == [
        ("npm", "run", "--ignore-scripts", "preinstall"), ("npm", "run", "--ignore-scripts", "install"),
        ("npm", "run", "--ignore-scripts", "prepare")]


def test_warm_npm_workspace_build_equals_the_cold_one(tmp_path: Path, buildpack: NodeBuildpack,
                                                     downloads: Path) -> None:
    cache = DirLayerCache(tmp_path / "cache")
    cold = _build(make_app(tmp_path / "cold", MONO), buildpack, cache, downloads, "apps/api")
    warm = _build(make_app(tmp_path / "warm", MONO), buildpack, cache, downloads, "apps/api")
    assert any(c.startswith("npm ci") for c in cold.output)
    assert not any(c.startswith("npm ci") for c in warm.output), warm.output
    assert "node_modules: dependencies unchanged, restoring the cached install for the build" in warm.log
    assert "npm --prefix packages/shared run --ignore-scripts prepare" in warm.output
    cold_tree, warm_tree = _app_tree(tmp_path / "cold"), _app_tree(tmp_path / "warm")
    assert cold_tree["packages/shared/lib/index.js"].startswith("module.exports")
    assert cold_tree["libs/f/built.txt"] == "f"
    assert "apps/worker/w.txt" not in cold_tree  # not part of `npm ci --workspace apps/api`
    assert warm_tree == cold_tree
    assert tree_digest(warm.layer("node_modules")) == tree_digest(cold.layer("node_modules"))


YARN_LOCK = """\
# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.
# yarn lockfile v1


ms@2.1.3:
  version "2.1.3"
  resolved "https://registry.yarnpkg.com/ms/-/ms-2.1.3.tgz#574c8138ce1d2b5861f0b44579dbadd60c6615b2"
  integrity sha512-6FlzubTLZG3J2a/NVCAleEhjzq5oxgHyaCU9yYXvcLsvoVaHJq/s5xXI6/XXP6tz7R9xAOtHnSO/tXtF3WRTlA==
"""


def test_warm_yarn_workspace_build_equals_the_cold_one(tmp_path: Path, buildpack: NodeBuildpack,
                                                      downloads: Path) -> None:
    files = {k: v for k, v in MONO.items() if k != "package-lock.json" and not k.startswith("libs/")}
    files["package.json"] = {"name": "mono", "private": True, "workspaces": ["packages/*", "apps/*"]}
    files["packages/shared/package.json"] = {"name": "@m/shared", "version": "1.0.0", "main": "lib/index.js",
                                             "scripts": {"postinstall": "node gen.js"}}  # yarn 1 runs no prepare
    files["yarn.lock"] = YARN_LOCK
    cache = DirLayerCache(tmp_path / "cache")
    cold = _build(make_app(tmp_path / "cold", files), buildpack, cache, downloads, "apps/api")
    warm = _build(make_app(tmp_path / "warm", files), buildpack, cache, downloads, "apps/api")
    assert not any(c.startswith("yarn install --frozen-lockfile --non") for c in warm.output), warm.output
    assert "yarn --cwd packages/shared run postinstall" in warm.output
    cold_tree = _app_tree(tmp_path / "cold")
    assert cold_tree["packages/shared/lib/index.js"].startswith("module.exports")
    assert _app_tree(tmp_path / "warm") == cold_tree
    assert tree_digest(warm.layer("node_modules")) == tree_digest(cold.layer("node_modules"))


def test_cold_and_warm_images_of_a_workspace_member_have_one_digest(
        tmp_path: Path, registry: Registry, docker_config: Path, repo_name: str) -> None:
    cache = tmp_path / "dockless-cache"
    digests = []
    for n in ("cold", "warm"):
        app = make_app(tmp_path / n, MONO)
        run = dockless("build", str(app), "--subdir", "apps/api", "--image", f"{registry.host}/{repo_name}:{n}",
                       docker_config=docker_config, cache_dir=cache,
                       env={"SSL_CERT_FILE": os.environ.get("SSL_CERT_FILE", "/etc/ssl/certs/ca-certificates.crt")})
        assert run.code == 0, run.stderr
        digests.append(run.last_line.split("@")[-1])
        shutil.rmtree(app)
    assert digests[0] == digests[1]
    assert "restoring the cached install" in run.stderr
    assert "npm --prefix packages/shared run --ignore-scripts prepare" in run.stderr
