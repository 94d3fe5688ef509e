"""examples/ci's GitHub Actions and GitLab CI jobs, their shell steps run verbatim against a Docker Hub double.

The jobs push `docker.io/$DOCKERHUB_USERNAME/app` with a Docker Hub access
token written under the `https://index.docker.io/v1/` key of config.json;
here Docker Hub's names resolve to a local distribution with token auth and a
token server shaped like Docker Hub's (tests/ci/dockerhub.py). What is
checked is what a user relies on: the job succeeds, prints the image by
digest, asks the token realm for `repository:USER/app:pull,push`, keeps the
token out of every log and out of the image, a rerun with the cache restored
gives the same digest, and the image runs.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.ci.dockerhub import DockerHubDouble
from tests.ci.jobs import (StepRun, base_env, github_expressions, github_job, gitlab_job, gitlab_variables,
                           run_steps)
from tests.e2e.conftest import EXAMPLES
from tests.infra.docker_engine import docker, run_container

pytestmark = pytest.mark.e2e

PINNED = r"docker\.io/dockless-ci/app@sha256:[0-9a-f]{64}"


def checkout(dest: Path) -> str:
    """A git checkout of examples/nodejs-express at `dest`; returns HEAD's sha."""
    shutil.copytree(EXAMPLES / "nodejs-express", dest)
    git = ["git", "-c", "user.name=ci", "-c", "user.email=ci@example.com", "-C", str(dest)]
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "app"]):
        subprocess.run([*git, *args], check=True, capture_output=True)
    return subprocess.run([*git, "rev-parse", "HEAD"], check=True, capture_output=True, text=True).stdout.strip()


def make_venv(dest: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", str(dest)], check=True)
    return dest


def assert_succeeded(runs: list[StepRun], steps: int, hub: DockerHubDouble) -> str:
    """Every step ran and passed, and no output holds the token; returns all output."""
    assert [r.code for r in runs] == [0] * steps, runs[-1].output[-4000:]
    output = "".join(r.output for r in runs)
    assert hub.token not in output
    return output


def assert_pushed_with_push_scope(hub: DockerHubDouble) -> None:
    scopes = {scope for r in hub.tokens.requests if r.account == hub.username for scope in r.scopes}
    assert f"repository:{hub.username}/app:pull,push" in scopes, hub.tokens.requests


def check_image(image: str, hub: DockerHubDouble, env: dict[str, str], tmp_path: Path) -> None:
    """The pushed image holds no token, answers over HTTP, and its short name reaches it too."""
    layout = tmp_path / "pulled"
    copy = subprocess.run(hub.in_namespace(["dockless", "copy", image, f"oci:{layout}"]), env=env,
                          capture_output=True, text=True, timeout=600)
    assert copy.returncode == 0, copy.stderr
    for blob in (layout / "blobs" / "sha256").iterdir():
        assert hub.token.encode() not in blob.read_bytes()
    tag = image.split("@")[0]
    short = tag.removeprefix("docker.io/")  # dockless-ci/app: Docker Hub's short name
    loaded = subprocess.run(hub.in_namespace(["dockless", "copy", image, f"docker-daemon:{short}:ci"]), env=env,
                            capture_output=True, text=True, timeout=600)
    assert loaded.returncode == 0, loaded.stderr
    try:
        assert run_container(f"{short}:ci", pull="never") == "Hello World!\n"
    finally:
        docker("rmi", "-f", f"{short}:ci", check=False)


def test_github_actions_job(docker_hub: DockerHubDouble, wheelhouse: Path, tmp_path: Path,
                            docker_engine: object) -> None:
    uses, steps = github_job(EXAMPLES / "ci" / "github-actions.yml", "build")
    assert uses == ["actions/checkout", "actions/setup-python", "actions/cache"]  # played by this test
    work = tmp_path / "runner" / "app"
    sha = checkout(work)
    venv, home = make_venv(tmp_path / "python"), tmp_path / "home"  # setup-python; HOME keeps ~/.cache (cache)
    home.mkdir()
    values = {"secrets.DOCKERHUB_USERNAME": docker_hub.username, "secrets.DOCKERHUB_TOKEN": docker_hub.token}
    digests = []
    for attempt in range(2):  # a second push of the same commit, the dockless cache restored
        subprocess.run(["git", "-C", str(work), "clean", "-fdxq"], check=True)  # actions/checkout's `clean: true`
        output_file, summary = tmp_path / f"output-{attempt}", tmp_path / f"summary-{attempt}"
        env = {**base_env(home, venv, docker_hub.ca_bundle), "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(wheelhouse),
               "GITHUB_SHA": sha, "GITHUB_OUTPUT": str(output_file), "GITHUB_STEP_SUMMARY": str(summary)}
        runs = run_steps(steps, cwd=work, env=env, wrap=docker_hub.in_namespace,
                         expressions=lambda text: github_expressions(text, values))
        output = assert_succeeded(runs, len(steps), docker_hub)
        (image,) = re.findall(rf"^image=({PINNED})$", output_file.read_text(), re.M)
        assert f"pushed `{image}`" in summary.read_text()
        digests.append(image)
        if attempt:
            assert "reusing the cached install" in output  # node_modules from the restored cache
    assert digests[0] == digests[1]  # same commit, same digest
    assert_pushed_with_push_scope(docker_hub)
    config = (home / ".docker" / "config.json").read_text()
    assert '"https://index.docker.io/v1/"' in config
    check_image(digests[0], docker_hub, env, tmp_path)


def test_gitlab_ci_job(docker_hub: DockerHubDouble, wheelhouse: Path, tmp_path: Path,
                       docker_engine: object) -> None:
    variables, step = gitlab_job(EXAMPLES / "ci" / "gitlab-ci.yml", "build-image")
    work = tmp_path / "builds" / "app"
    sha = checkout(work)
    venv, home = make_venv(tmp_path / "python"), tmp_path / "home"  # the job image's Python
    home.mkdir()
    ci = {"CI_PROJECT_DIR": str(work), "CI_COMMIT_SHA": sha, "CI_COMMIT_SHORT_SHA": sha[:8],
          "CI_COMMIT_BRANCH": "main", "CI_DEFAULT_BRANCH": "main",
          "DOCKERHUB_USERNAME": docker_hub.username, "DOCKERHUB_TOKEN": docker_hub.token}
    env = {**base_env(home, venv, docker_hub.ca_bundle), "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(wheelhouse), **ci}
    env |= gitlab_variables(variables, env)
    assert env["DOCKLESS_CACHE_DIR"] == f"{work}/.cache/dockless"
    output = assert_succeeded(run_steps([step], cwd=work, env=env, wrap=docker_hub.in_namespace), 1, docker_hub)
    dotenv = (work / "build.env").read_text()
    (image,) = re.findall(rf"^IMAGE=({PINNED})$", dotenv, re.M)
    assert (work / "digest.txt").read_text() == image.split("@")[1]
    assert (work / ".cache" / "dockless").is_dir()  # what `cache: paths` keeps
    assert "Traceback" not in output
    assert_pushed_with_push_scope(docker_hub)
    check_image(image, docker_hub, env, tmp_path)
