"""The failing inputs of issue 7 §3, through the real `dockless build`: a local registry, Docker, the npm registry.

Each used to build with exit 0 and ship a broken image. Now `web: npm start`
ships an image that starts (node as PID 1, prestart first) and the others fail
before export with one line, pushing nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.cli import assert_clean_error, dockless
from tests.infra.registry import Registry

from .building import make_app
from .test_package_manager_pins import PNPM_SHA512, app_files, flip

SERVER = ("const http = require('http'); const fs = require('fs');\n"
          "http.createServer((q, r) => r.end(fs.readFileSync('migrated.txt', 'utf8') + ' pid=' + process.pid))\n"
          "  .listen(process.env.PORT || 8080);\n"
          "process.on('SIGTERM', () => process.exit(0));\n")


@pytest.fixture(scope="module")
def build_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("dockless-cache")


def build(app: Path, registry: Registry, repo: str, docker_config: Path, cache: Path):  # type: ignore[no-untyped-def]
    return dockless("build", str(app), "--image", f"{registry.host}/{repo}:v1", docker_config=docker_config,
                    cache_dir=cache)


def test_procfile_npm_start_ships_an_image_that_starts_with_node_as_pid_1(
        tmp_path: Path, registry: Registry, docker_config: Path, build_cache: Path, repo_name: str,
        docker_engine: object) -> None:
    from tests.infra.docker_engine import serve_then_stop

    app = make_app(tmp_path / "app", {
        "package.json": {"name": "npm-start", "version": "1.0.0", "engines": {"node": "22"},
                         "scripts": {"prestart": "node -e \"require('fs').writeFileSync('/tmp/migrated.txt','yes')\" "
                                                 "&& cp /tmp/migrated.txt migrated.txt || true",
                                     "start": "node server.js"}},
        "Procfile": "web: npm start\n", "server.js": SERVER.replace("'migrated.txt'", "'/tmp/migrated.txt'"),
    })
    run = build(app, registry, repo_name, docker_config, build_cache)
    assert run.code == 0, run.stderr
    assert "'npm start' runs scripts.start after scripts.prestart" in run.stderr
    body, exit_code = serve_then_stop(run.last_line, docker_config=docker_config)
    assert body == "yes pid=1"  # prestart ran, then node replaced the shell as PID 1
    assert exit_code == 0  # and SIGTERM reached it


FAILING: dict[str, tuple[dict[str, Any], int, str]] = {
    "npx at launch": ({"package.json": {"name": "x", "version": "1.0.0", "engines": {"node": "22"}},
                       "Procfile": "web: npx http-server -p $PORT\n"}, 5, "npx"),
    "missing node target": ({"package.json": {"name": "x", "version": "1.0.0", "engines": {"node": "22"},
                                              "scripts": {"start": "node dist/server.js"}}}, 5,
                            "node's entry 'dist/server.js' is not in the built app"),
    "wrong packageManager hash": (app_files(f"+sha512.{flip(PNPM_SHA512)}"), 7, "does not match the sha512 hash"),
}


@pytest.mark.parametrize("case", sorted(FAILING))
def test_broken_apps_fail_before_export_and_push_nothing(case: str, tmp_path: Path, registry: Registry,
                                                        docker_config: Path, build_cache: Path,
                                                        repo_name: str) -> None:
    files, code, words = FAILING[case]
    run = build(make_app(tmp_path / "app", files), registry, repo_name, docker_config, build_cache)
    assert_clean_error(run, code, words)
    assert "process 'web' cannot start" in run.stderr or code != 5
    assert registry.tags(repo_name) == []
