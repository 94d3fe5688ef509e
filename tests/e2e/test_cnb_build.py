"""External CNB buildpacks end to end: `dockless build DIR -b … -b …` against the real registry, then docker run.

The group is the example in examples/buildpacks: greet-tool (shell) leaves a
`build` layer with bin/greet; the built-in nodejs installs Node.js; greeting-page
(shell) runs `greet` at build, reads `--env GREETING_NAME` from
$CNB_PLATFORM_DIR/env/, and ships the greeting in a launch layer with a `web`
process served by the app's server.js.
"""

from __future__ import annotations

import gzip
import io
import json
import re
import shutil
import tarfile
from pathlib import Path

import pytest

from tests.e2e.cli import assert_clean_error, dockless
from tests.infra.docker_engine import run_container
from tests.infra.registry import Registry

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "buildpacks"
TOOL, PAGE = str(EXAMPLES / "greet-tool"), str(EXAMPLES / "greeting-page")
GROUP = ("-b", TOOL, "-b", "nodejs", "-b", PAGE)


@pytest.fixture(scope="session")
def build_cache(stack_cache: Path) -> Path:
    """The session's stack cache: one build root for every test that needs it."""
    return stack_cache


@pytest.fixture
def app(tmp_path: Path) -> Path:
    shutil.copytree(EXAMPLES / "greeting-app", tmp_path / "app")
    return tmp_path / "app"


def test_a_group_with_two_shell_buildpacks_builds_pushes_and_serves(
        app: Path, registry: Registry, docker_config: Path, build_cache: Path, repo_name: str,
        docker_engine: object) -> None:  # fmt: skip
    dest = f"{registry.host}/{repo_name}:v1"
    run = dockless("build", str(app), *GROUP, "--env", "GREETING_NAME=Knative", "--image", dest,
                   docker_config=docker_config, cache_dir=build_cache)
    assert run.code == 0, run.stderr
    assert re.fullmatch(rf"{re.escape(registry.host)}/{re.escape(repo_name)}@sha256:[0-9a-f]{{64}}", run.last_line)
    for bp in ("examples/greet-tool", "nodejs", "examples/greeting-page"):
        assert f"buildpack {bp}" in run.stderr  # built in group order

    body = run_container(run.last_line, docker_config=docker_config, extra_args=("--read-only", "--tmpfs", "/tmp"))
    assert body == "Hello, Knative! (from greet-tool, friendly)\n"

    digest = run.last_line.split("@")[1]
    manifest = json.loads(registry.manifest(repo_name, digest)[0])
    config = json.loads(registry.blob(repo_name, manifest["config"]["digest"]))["config"]
    assert (config["Entrypoint"], config["Cmd"]) == (["node"], ["server.js"])  # greeting-page's web process
    assert "GREETING_FILE=/layers/examples_greeting-page/greeting/greeting.txt" in config["Env"]
    metadata = json.loads(config["Labels"]["io.buildpacks.build.metadata"])
    assert [b["id"] for b in metadata["buildpacks"]] == ["examples/greet-tool", "nodejs", "examples/greeting-page"]
    names = {n for layer in manifest["layers"]
             for n in tarfile.open(fileobj=io.BytesIO(gzip.decompress(registry.blob(repo_name, layer["digest"]))))
             .getnames()}  # fmt: skip
    assert "layers/examples_greeting-page/greeting/greeting.txt" in names
    assert not any("examples_greet-tool" in n for n in names)  # a build-only layer does not ship


def test_detect_shows_the_group_and_each_buildpacks_reasons(app: Path, build_cache: Path) -> None:
    run = dockless("detect", str(app), *GROUP, cache_dir=build_cache)
    assert run.code == 0, run.stderr
    assert "pass  group 1: examples/greet-tool + nodejs + examples/greeting-page" in run.stdout
    assert "greet-tool: offering the greet command" in run.stdout
    assert "greeting-page: found greeting.conf" in run.stdout


def test_a_required_buildpack_whose_detect_answers_100_fails_the_build_with_exit_4(
        app: Path, build_cache: Path, tmp_path: Path) -> None:  # fmt: skip
    (app / "greeting.conf").unlink()
    out = tmp_path / "out"
    run = dockless("build", str(app), "-b", TOOL, "-b", PAGE, "--image", f"oci:{out}", cache_dir=build_cache)
    assert_clean_error(run, 4, "examples/greeting-page: bin/detect did not pass (exit 100), no greeting.conf in the app")
    assert not out.exists()
