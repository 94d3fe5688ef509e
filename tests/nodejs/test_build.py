"""The buildpack end to end on the host: real npm registry, the downloaded Node.js, a host executor.

The host executor maps /workspace and /layers/nodejs/* to host paths, so these
tests also pin down what the build sandbox has to provide (see build.py).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from buildpacks.nodejs import NodeBuildpack
from buildpacks.nodejs.deps import deps_metadata
from buildpacks.nodejs.processes import NODE
from buildpacks.nodejs.registry import NpmRegistry
from builder.errors import BuildError
from builder.lifecycle.contract import BuildContext, BuildpackPlan, BuildResult
from builder.lifecycle.env import apply_env
from builder.lifecycle.layercache import DirLayerCache
from detectors.nodejs import NodeDetector

from .support import RecordingExecutor, host_executor, tree_digest

PACKAGE = {
    "name": "tiny", "version": "1.0.0", "engines": {"node": ">=18 <21"},
    "dependencies": {"ms": "2.1.3"}, "devDependencies": {"is-number": "7.0.0"},
    "scripts": {"start": "node server.js", "build": "node build.js"},
}
SERVER = "console.log(require('ms')('1h'))\n"
BUILD = ("const fs = require('fs'); fs.mkdirSync('dist', {recursive: true});\n"
         "fs.writeFileSync('dist/out.txt', process.version + ' ' + require('is-number')(5));\n")


@pytest.fixture(scope="module")
def lockfile(npm_registry: NpmRegistry) -> str:
    """package-lock.json v3 for PACKAGE, with the registry's real integrity values."""
    def entry(name: str, version: str, **extra: Any) -> dict[str, Any]:
        dist = npm_registry.packument(name)["versions"][version]["dist"]
        return {"version": version, "resolved": dist["tarball"], "integrity": dist["integrity"], **extra}

    root = {k: PACKAGE[k] for k in ("name", "version", "dependencies", "devDependencies", "engines")}
    return json.dumps({"name": "tiny", "version": "1.0.0", "lockfileVersion": 3, "requires": True, "packages": {
        "": root, "node_modules/is-number": entry("is-number", "7.0.0", dev=True, engines={"node": ">=0.12.0"}),
        "node_modules/ms": entry("ms", "2.1.3")}}, indent=2) + "\n"


def make_app(root: Path, files: dict[str, Any]) -> Path:
    root.mkdir(parents=True)
    for name, content in files.items():
        (root / name).write_text(content if isinstance(content, str) else json.dumps(content, indent=2))
    return root


def build(app: Path, buildpack: NodeBuildpack, cache: DirLayerCache, downloads: Path,
          env: dict[str, str] | None = None) -> tuple[BuildResult, RecordingExecutor]:
    """Detect, then build `app` on the production host executor (recorded), as in host fallback."""
    detection = NodeDetector().detect(app, env or {})
    assert detection.passed, detection.reasons
    executor = host_executor(app)
    ctx = BuildContext(app, app.parent / f"{app.name}-layers", BuildpackPlan(detection.requires), env or {},
                       executor, cache, downloads, log=lambda message: None)
    return buildpack.build(ctx), executor


def layer(result: BuildResult, name: str) -> Any:
    return next(item for item in result.layers if item.name == name)


def test_npm_ci_build_prune_and_reuse_on_a_code_change(tmp_path: Path, lockfile: str, buildpack: NodeBuildpack,
                                                        node_cache: DirLayerCache, downloads: Path) -> None:
    files = {"package.json": PACKAGE, "package-lock.json": lockfile, "server.js": SERVER, "build.js": BUILD}
    first_app = make_app(tmp_path / "v1", files)
    first, executor = build(first_app, buildpack, node_cache, downloads)
    assert [what for what, _ in executor.calls] == ["npm ci", "npm run build", "npm prune"]

    node = layer(first, "node")
    assert node.target == "/layers/nodejs/node" and node.launch and node.metadata["version"].startswith("20.")
    assert sorted(p.relative_to(node.path).as_posix() for p in node.path.rglob("*")) == ["LICENSE", "bin", "bin/node"]
    modules = layer(first, "node_modules")
    assert modules.target == "/workspace/node_modules" and modules.launch
    assert (modules.path / "ms" / "package.json").is_file()
    assert not (modules.path / "is-number").exists()  # devDependency pruned
    # The build script ran with the downloaded Node.js and the devDependency present.
    assert (first_app / "dist" / "out.txt").read_text() == f"v{node.metadata['version']} true"
    assert (first_app / "package-lock.json").read_text() == lockfile and not (first_app / "node_modules").exists()
    # The app runs on the shipped layers alone.
    out = subprocess.run([str(node.path / "bin" / "node"), "server.js"], cwd=first_app, capture_output=True,
                         text=True, env={"NODE_PATH": str(modules.path)}, check=True)
    assert out.stdout.strip() == "3600000"

    assert [(p.type, list(p.command), p.default) for p in first.processes] == [("web", [NODE, "server.js"], True)]
    assert first.launch_env["NODE_ENV"] == "production" and first.launch_env["PORT"] == "8080"
    launch_path = apply_env({"PATH": "/usr/bin:/bin"}, first.launch_env)["PATH"]  # as the image's PATH is made
    assert launch_path == "/layers/nodejs/node/bin:/workspace/node_modules/.bin:/usr/bin:/bin"
    assert {"node_modules", ".npmrc"} <= first.app_excludes

    second_app = make_app(tmp_path / "v2", {**files, "server.js": "console.log('changed')\n"})
    second, executor = build(second_app, buildpack, node_cache, downloads)
    assert [what for what, _ in executor.calls] == ["npm run build"]  # no install, no prune
    assert layer(second, "node_modules").path == modules.path
    assert layer(second, "node_modules").metadata == modules.metadata
    assert tree_digest(layer(second, "node_modules").path) == tree_digest(modules.path)
    assert (second_app / "dist" / "out.txt").read_text() == (first_app / "dist" / "out.txt").read_text()


def test_cache_key_ignores_code_and_follows_dependencies(tmp_path: Path, lockfile: str) -> None:
    app = make_app(tmp_path / "app", {"package.json": PACKAGE, "package-lock.json": lockfile, "server.js": SERVER})

    def key() -> dict[str, str]:
        package = json.loads((app / "package.json").read_text())
        return deps_metadata(app, package, lockfile="package-lock.json", manager="npm", node_version="20.1.0", arch="x64")

    before = key()
    (app / "server.js").write_text("console.log('new code')\n")
    (app / "README.md").write_text("docs\n")
    (app / "package.json").write_text(json.dumps({**PACKAGE, "description": "x", "scripts": {"start": "node s.js"}}))
    assert key() == before
    (app / "package-lock.json").write_text(lockfile.replace('"ms"', '"ms" '))
    assert key()["deps"] != before["deps"]
    (app / "package-lock.json").write_text(lockfile)
    (app / ".npmrc").write_text("legacy-peer-deps=true\n")
    assert key()["deps"] != before["deps"]
    assert deps_metadata(app, PACKAGE, lockfile="package-lock.json", manager="npm", node_version="20.2.0",
                         arch="x64")["node"] == "20.2.0"


def test_no_build_script_means_no_commands_on_a_cache_hit(tmp_path: Path, lockfile: str, buildpack: NodeBuildpack,
                                                          node_cache: DirLayerCache, downloads: Path) -> None:
    package = {**PACKAGE, "version": "1.0.1", "scripts": {"start": "node server.js"}}  # a key of its own
    files = {"package.json": package, "package-lock.json": lockfile.replace('"version": "1.0.0"', '"version": "1.0.1"'),
             "server.js": SERVER}
    _, executor = build(make_app(tmp_path / "a", files), buildpack, node_cache, downloads)
    assert [what for what, _ in executor.calls] == ["npm ci", "npm prune"]
    _, executor = build(make_app(tmp_path / "b", {**files, "server.js": "//x\n" + SERVER}), buildpack,
                        node_cache, downloads)
    assert executor.calls == []


def test_npmrc_is_honoured_during_install(tmp_path: Path, lockfile: str, buildpack: NodeBuildpack,
                                          downloads: Path) -> None:
    """.npmrc pointing at a dead registry makes `npm ci` fail: npm read it (a fresh cache, so no shortcuts)."""
    files = {"package.json": PACKAGE, "package-lock.json": lockfile, "server.js": SERVER,
             ".npmrc": "registry=http://127.0.0.1:9/\nfetch-retries=0\n"}
    with pytest.raises(BuildError, match="npm ci failed"):
        build(make_app(tmp_path / "app", files), buildpack, DirLayerCache(tmp_path / "cache"), downloads)


@pytest.mark.parametrize("manager", ["pnpm@9.15.9", "yarn@1.22.22", "yarn@4.5.0"])
def test_other_package_managers(tmp_path: Path, manager: str, buildpack: NodeBuildpack,
                                node_cache: DirLayerCache, downloads: Path) -> None:
    package = {**PACKAGE, "packageManager": manager}
    files = {"package.json": package, "server.js": SERVER, "build.js": BUILD}
    app = make_app(tmp_path / "app", files)
    result, executor = build(app, buildpack, node_cache, downloads)
    command = manager.split("@")[0]
    assert [what.split()[0] for what, _ in executor.calls] == [command] * 3
    modules = layer(result, "node_modules").path
    assert (modules / "ms").exists() and not (modules / "is-number").exists()
    assert (app / "dist" / "out.txt").read_text().endswith(" true")
    # The lockfile the install wrote is not left behind for the app layer.
    assert sorted(os.listdir(app)) == ["build.js", "dist", "package.json", "server.js"]
    _, executor = build(make_app(tmp_path / "again", files), buildpack, node_cache, downloads)
    assert [what for what, _ in executor.calls] == [f"{command} run build"]

    # The lockfile that install wrote (kept beside the cached full tree) installs frozen.
    lockname = "pnpm-lock.yaml" if command == "pnpm" else "yarn.lock"
    full = node_cache.restore("nodejs", "node_modules-dev", layer(result, "node_modules").metadata)
    assert full is not None
    locked = make_app(tmp_path / "locked", {**files, lockname: (full / "manifests" / lockname).read_text()})
    result, executor = build(locked, buildpack, node_cache, downloads)
    assert any(flag in executor.calls[0][1] for flag in ("--frozen-lockfile", "--immutable"))
    assert (layer(result, "node_modules").path / "ms").exists()


def test_native_addon_builds_with_the_layer_headers(tmp_path: Path, buildpack: NodeBuildpack,
                                                    node_cache: DirLayerCache, downloads: Path) -> None:
    """node-gyp compiles against include/node from the runtime (nodejs.org is not reachable here)."""
    if not shutil.which("make") or not shutil.which("g++"):
        pytest.skip("needs make and g++")
    addon = ("#include <node_api.h>\nstatic napi_value Init(napi_env env, napi_value exports) {\n"
             "  napi_value v; napi_create_int32(env, 42, &v); return v; }\nNAPI_MODULE(NODE_GYP_MODULE_NAME, Init)\n")
    files = {"package.json": {"name": "native", "version": "1.0.0", "engines": {"node": "20"},
                              "dependencies": {"ms": "2.1.3"}},
             "binding.gyp": '{"targets": [{"target_name": "addon", "sources": ["addon.c"]}]}', "addon.c": addon,
             "server.js": "console.log(require('./build/Release/addon.node'))\n"}
    for name in ("cold", "warm"):
        app = make_app(tmp_path / name, files)
        result, executor = build(app, buildpack, node_cache, downloads)
        out = subprocess.run([str(layer(result, "node").path / "bin" / "node"), "server.js"], cwd=app,
                             capture_output=True, text=True, check=True)
        assert out.stdout.strip() == "42"
    assert [what for what, _ in executor.calls] == ["node-gyp rebuild"]  # the warm build recompiles only the addon


def test_server_js_only_app_needs_no_package_manager(tmp_path: Path, buildpack: NodeBuildpack,
                                                     node_cache: DirLayerCache, downloads: Path) -> None:
    app = make_app(tmp_path / "app", {"server.js": "require('http')\n", "Procfile": "worker: node server.js --worker\n"})
    result, executor = build(app, buildpack, node_cache, downloads, env={"BP_NODE_VERSION": "20", "PORT": "3000"})
    assert executor.calls == []
    assert [item.name for item in result.layers] == ["node"]
    assert [(p.type, list(p.command), p.default) for p in result.processes] == [
        ("web", [NODE, "server.js"], True), ("worker", [NODE, "server.js", "--worker"], False)]
    assert result.launch_env["PORT"] == "3000"


def test_impossible_engines_fails_before_running_anything(tmp_path: Path, buildpack: NodeBuildpack,
                                                          node_cache: DirLayerCache, downloads: Path) -> None:
    app = make_app(tmp_path / "app", {"package.json": {**PACKAGE, "engines": {"node": ">=99"}}, "server.js": SERVER})
    with pytest.raises(BuildError) as info:
        build(app, buildpack, node_cache, downloads)
    assert info.value.message == "no Node.js release satisfies package.json engines.node '>=99'"
    assert info.value.hint.startswith("nearest: ")
