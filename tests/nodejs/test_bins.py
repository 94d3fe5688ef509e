"""npm command scripts (`#!/usr/bin/env node`) run by node, since the run image has no /usr/bin/env.

The rewrite is read from real files laid out as npm lays them out (a .bin
symlink to the package's script); the end-to-end test installs `serve` from the
npm registry, builds with `dockless build` and answers HTTP from Docker.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from buildpacks.nodejs.bins import rewrite, rewrite_all
from tests.e2e.cli import dockless
from tests.infra.registry import Registry

from .building import make_app

BIN = "/workspace/node_modules/.bin"


@pytest.fixture()
def bins(tmp_path: Path) -> Path:
    modules = tmp_path / "node_modules"
    scripts = {"next/dist/bin/next": "#!/usr/bin/env node\n", "tsx/dist/cli.mjs": "#!/usr/bin/env -S node --no-warnings\n",
               "crlf/cli.js": "#!/usr/bin/env node\r\n", "shell/run.sh": "#!/bin/sh\n", "env-bash/x": "#!/usr/bin/env bash\n",
               "python/x.py": "#!/usr/bin/env python3\n"}
    (modules / ".bin").mkdir(parents=True)
    for rel, first in scripts.items():
        path = modules / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(first + "console.log(1)\n")
        os.symlink(os.path.relpath(path, modules / ".bin"), modules / ".bin" / rel.split("/")[0])
    return modules / ".bin"


@pytest.mark.parametrize(("command", "expected"), [
    ("next start", f"node {BIN}/next start"),
    ("next start -p $PORT", f"node {BIN}/next start -p $PORT"),
    ("PORT=3000 HOST=0.0.0.0 next start", f"PORT=3000 HOST=0.0.0.0 node {BIN}/next start"),
    ("exec next start", f"exec node {BIN}/next start"),
    ("node migrate.js && next start", f"node migrate.js && node {BIN}/next start"),
    ("cd apps/web && exec next start", f"cd apps/web && exec node {BIN}/next start"),
    ("true || next start; { next start; }", f"true || node {BIN}/next start; {{ node {BIN}/next start; }}"),
    ("tsx src/server.ts", f"node --no-warnings {BIN}/tsx src/server.ts"),
    ("crlf", f"node {BIN}/crlf"),
    ("echo next start 'next'", "echo next start 'next'"),     # not in command position
    ("A='x; next' shell", "A='x; next' shell"),                # a quoted `;` is no separator; a /bin/sh script
    ("env-bash", "env-bash"), ("python", "python"),           # other interpreters: the generic check's
    ("./node_modules/.bin/next start", "./node_modules/.bin/next start"),  # a path: as written
    ("nuxt start", "nuxt start"),                              # not installed
])
def test_env_node_commands_are_run_by_node(bins: Path, command: str, expected: str) -> None:
    assert rewrite(command, bins)[0] == expected


def test_every_process_is_rewritten_and_logged(bins: Path) -> None:
    procfile, start, notes = rewrite_all({"web": "next start -p $PORT", "worker": "node worker.js"}, "next start", bins)
    assert procfile == {"web": f"node {BIN}/next start -p $PORT", "worker": "node worker.js"}
    assert start == "next start"  # the Procfile's web wins; the detector's start is not used
    assert notes == [f"process 'web': next run by node (node_modules/.bin scripts for '/usr/bin/env node'; the "
                     f"image has no env): node {BIN}/next start -p $PORT"]
    assert rewrite_all({}, "next start", bins)[1] == f"node {BIN}/next start"
    assert rewrite_all({}, "next start", None)[1] == "next start"  # no node_modules


def test_a_bin_script_starts_under_docker(tmp_path: Path, registry: Registry, docker_config: Path, repo_name: str,
                                          docker_engine: object) -> None:
    """`serve` (real, from npm: node_modules/.bin/serve -> ../serve/build/main.js, `#!/usr/bin/env node`)
    as scripts.start and as a Procfile process: the image starts and answers HTTP."""
    from tests.infra.docker_engine import serve_then_stop

    app = make_app(tmp_path / "app", {
        "package.json": {"name": "bin-app", "version": "1.0.0", "engines": {"node": "22"},
                         "scripts": {"start": "serve -s site -l tcp://0.0.0.0:$PORT"},
                         "dependencies": {"serve": "14.2.4"}},
        "Procfile": "web: NO_UPDATE_CHECK=1 serve -s site -l tcp://0.0.0.0:$PORT\n",
        "site/index.html": "<h1>served by serve</h1>\n",
    })
    run = dockless("build", str(app), "--image", f"{registry.host}/{repo_name}:v1", docker_config=docker_config,
                   cache_dir=tmp_path / "cache")
    assert run.code == 0, run.stderr
    assert "process 'web': serve run by node" in run.stderr
    body, _ = serve_then_stop(run.last_line, docker_config=docker_config)
    assert "served by serve" in body
