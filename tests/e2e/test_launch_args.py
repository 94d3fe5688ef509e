"""`docker run IMAGE --sink=http://x --interval=1`: the run arguments reach the app, which is PID 1.

A Knative ContainerSource passes its `args` this way. The image's ENTRYPOINT is
the default process and CMD its (empty) args, so Docker appends the run
arguments to the ENTRYPOINT; for a shell-form start command they arrive as the
script's positional parameters and `builder.buildpack.launch` forwards them with
`"$@"`. Judged by the real Docker engine running the pushed image.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.cli import dockless
from tests.infra.docker_engine import docker_run_output
from tests.infra.registry import Registry

SHOW = "console.log(JSON.stringify({argv: process.argv.slice(2), pid: process.pid}))\n"
RUN_ARGS = ("--sink=http://x", "--interval=1")


@pytest.mark.parametrize(("procfile", "own_args"), [
    ("web: node server.js --port $PORT\n", ["--port", "8080"]),   # shell form: sh -c 'exec node … "$@"' sh
    ("web: node server.js --mode=worker\n", ["--mode=worker"]),   # exec form: [node, server.js, --mode=worker]
], ids=["shell-form", "exec-form"])
def test_run_arguments_reach_the_default_process(  # type: ignore[no-untyped-def]
        procfile: str, own_args: list[str], publish, registry: Registry, docker_config: Path, build_cache: Path,
        repo_name: str, docker_engine: object) -> None:
    _, url = publish("nodejs-plain-args", {"server.js": SHOW, "Procfile": procfile})
    run = dockless("build", url, "--image", f"{registry.host}/{repo_name}:v1",
                   docker_config=docker_config, cache_dir=build_cache)
    assert run.code == 0, run.stderr
    image = run.last_line

    shown = json.loads(docker_run_output(image, *RUN_ARGS, docker_config=docker_config, timeout=120))
    assert shown == {"argv": [*own_args, *RUN_ARGS], "pid": 1}

    alone = json.loads(docker_run_output(image, docker_config=docker_config, timeout=120))
    assert alone == {"argv": own_args, "pid": 1}


def test_every_process_type_runs_by_name_as_pid_1(  # type: ignore[no-untyped-def]
        publish, registry: Registry, docker_config: Path, build_cache: Path, repo_name: str,
        docker_engine: object) -> None:
    """Not only the default: `docker run --entrypoint worker IMAGE ARGS` runs the Procfile's worker (CNB /cnb/process)."""
    procfile = "web: node server.js --role=web\r\nworker: cd lib && node ../server.js --role=worker\r\n"
    _, url = publish("nodejs-plain-procs", {"server.js": SHOW, "lib/.keep": "", "Procfile": procfile})
    run = dockless("build", url, "--image", f"{registry.host}/{repo_name}:v1",
                   docker_config=docker_config, cache_dir=build_cache)
    assert run.code == 0, run.stderr
    image = run.last_line
    worker = json.loads(docker_run_output(image, "--x=1", extra_args=("--entrypoint", "worker"),
                                          docker_config=docker_config, timeout=120))
    assert worker == {"argv": ["--role=worker", "--x=1"], "pid": 1}
    web = json.loads(docker_run_output(image, extra_args=("--entrypoint", "/cnb/process/web"),
                                       docker_config=docker_config, timeout=120))
    assert web == {"argv": ["--role=web"], "pid": 1}
