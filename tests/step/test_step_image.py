"""The builder image under the real Docker engine, run the way Tekton and Knative Build run a step.

No privileges: `--security-opt no-new-privileges`, the default seccomp
profile, uid 1000 (Tekton) or root (Knative Build), `--network host` only to
reach the test registry on loopback. The Tekton step is the shipped Task's
own script and args after Tekton's substitutions (tests/step/tekton.py); the
Knative step is the shipped BuildTemplate's args. The host's CA bundle is
mounted as a cluster would mount a corporate CA, because the package
registries are reached through a TLS-inspecting proxy here.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from builder.step import CONTRACT, render_manifests
from tests.e2e.cli import dockless
from tests.e2e.conftest import EXAMPLES
from tests.infra.docker_engine import docker, run_container
from tests.infra.pushed import differences, layers
from tests.infra.registry import Registry
from tests.step.tekton import RESULTS_DIR, task_step

pytestmark = pytest.mark.e2e

CA = "/etc/ssl/certs/ca-certificates.crt"
NO_PRIVILEGES = ("--security-opt", "no-new-privileges", "--network", "host", "-v", f"{CA}:{CA}:ro")


def writable_dir(path: Path) -> Path:
    """A host directory a container's uid 1000 can write (a volume, as a cluster provisions it)."""
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o777)
    return path


def test_the_builder_image_is_dockless_as_non_root_and_also_runs_as_root(
        builder_image: str, registry: Registry, build_cache: Path, tmp_path: Path) -> None:
    config = json.loads(docker("image", "inspect", builder_image).stdout)[0]["Config"]
    assert Path(config["Entrypoint"][0]).name == "dockless"
    assert config["User"].split(":")[0] == str(CONTRACT.uid)
    assert any(e.startswith("DOCKLESS_BUILDER_SUITE=") for e in config["Env"])
    for user in (str(CONTRACT.uid), "0"):
        out = docker("run", "--rm", "--user", user, *NO_PRIVILEGES, builder_image, "--version").stdout.decode()
        assert out.startswith("dockless, version"), out
    for tool in ("git", "tar", "make", "g++", "gpgv", "bash"):  # the build root's tools, for builds in the step
        docker("run", "--rm", "--entrypoint", "sh", builder_image, "-c", f"command -v {tool}")
    # reproducible: the same source makes the same builder image
    again = dockless("builder", "create", "--image", f"oci:{tmp_path / 'again'}", cache_dir=build_cache)
    assert again.code == 0, again.stderr
    assert again.last_line.split("@")[1] == builder_image.split("@")[1]


def test_the_tekton_task_builds_and_pushes_in_the_builder_image_with_no_privileges(
        builder_image: str, registry: Registry, tmp_path: Path) -> None:
    source = tmp_path / "source"
    shutil.copytree(EXAMPLES / "nodejs-express", source / "app")
    writable_dir(source)
    cache, results = writable_dir(tmp_path / "cache"), writable_dir(tmp_path / "results")
    dockerconfig = registry.docker_config_dir(tmp_path / "dockerconfig")
    for path in (dockerconfig, *dockerconfig.iterdir()):  # a Secret volume: readable, default mode 0644
        path.chmod(0o755 if path.is_dir() else 0o644)
    task = render_manifests(builder_image)["tekton/task.yaml"]
    app_image = f"{registry.host}/step/hello:v1"
    step = task_step(task, {"APP_IMAGE": app_image, "SOURCE_SUBPATH": "app", "ENV_VARS": ["TARGET_UNUSED=1"]},
                     {"source": "/workspace/source", "cache": "/workspace/cache", "dockerconfig": "/workspace/dockerconfig"})
    assert step.image == builder_image and step.security["runAsUser"] == CONTRACT.uid
    script = tmp_path / "script-0"
    script.write_text(step.script)
    script.chmod(0o755)
    argv = ["run", "--rm", "--user", str(step.security["runAsUser"]), *NO_PRIVILEGES,
            "-e", "HOME=/tekton/home", "--tmpfs", "/tekton/home:uid=1000",
            "-v", f"{source}:/workspace/source", "-v", f"{cache}:/workspace/cache",
            "-v", f"{dockerconfig}:/workspace/dockerconfig:ro", "-v", f"{results}:{RESULTS_DIR}",
            "-v", f"{script}:/tekton/scripts/script-0:ro", "--entrypoint", "/tekton/scripts/script-0",
            step.image, *step.args]
    digests = []
    for attempt in range(2):  # the second run finds the cache workspace filled
        done = docker(*argv, check=False)
        log = (done.stdout + done.stderr).decode()
        assert done.returncode == 0, log[-4000:]
        assert "build commands run in this container" in log
        digest = (results / CONTRACT.result_digest).read_text()
        assert re.fullmatch(r"sha256:[0-9a-f]{64}", digest)
        assert (results / CONTRACT.result_url).read_text() == app_image
        digests.append(digest)
        if attempt:
            assert "reusing the cached install" in log
    assert digests[0] == digests[1]
    assert registry.manifest_digest("step/hello", "v1") == digests[0]
    assert run_container(f"{registry.host}/step/hello@{digests[0]}",
                         docker_config=dockerconfig) == "Hello World!\n"


def test_the_knative_buildtemplate_step_builds_as_root_with_credentials_in_builder_home(
        builder_image: str, registry: Registry, tmp_path: Path) -> None:
    template = YAML(typ="safe").load(render_manifests(builder_image)["knative/build/buildtemplate.yaml"])
    (step,) = template["spec"]["steps"]
    app_image = f"{registry.host}/step/knative:latest"
    args = [a.replace("${IMAGE}", app_image).replace("${DIRECTORY}", ".") for a in step["args"]]
    source = tmp_path / "workspace"
    shutil.copytree(EXAMPLES / "nodejs-express", source)
    home = tmp_path / "home"
    registry.docker_config_dir(home / ".docker")  # the docker-0 secret, as Knative Build writes it
    cache = tmp_path / "cache"
    cache.mkdir()
    done = docker("run", "--rm", "--user", "0", *NO_PRIVILEGES, "-e", f"HOME={CONTRACT.knative_home}",
                  "-v", f"{home}:{CONTRACT.knative_home}", "-v", f"{source}:{CONTRACT.knative_source}",
                  "-v", f"{cache}:{CONTRACT.knative_cache}", step["image"], *args, check=False)
    log = (done.stdout + done.stderr).decode()
    assert done.returncode == 0, log[-4000:]
    pinned = done.stdout.decode().strip().splitlines()[-1]
    assert re.fullmatch(rf"{re.escape(registry.host)}/step/knative@sha256:[0-9a-f]{{64}}", pinned), log[-2000:]
    assert run_container(pinned, docker_config=home / ".docker") == "Hello World!\n"


def test_a_python_app_built_in_the_builder_image_starts_and_matches_the_sandbox_build(
        builder_image: str, registry: Registry, build_cache: Path, tmp_path: Path) -> None:
    """In the step container the venv is written at a host path; its console scripts (gunicorn), activate
    scripts and pyvenv.cfg must still name the image's /layers path: the image starts, and it is the very
    image the bubblewrap sandbox builds from the same source (same digest)."""
    source = tmp_path / "source"
    shutil.copytree(EXAMPLES / "python-flask-pip", source)
    dockerconfig = registry.docker_config_dir(tmp_path / "dockerconfig")
    for path in (dockerconfig, *dockerconfig.iterdir()):
        path.chmod(0o755 if path.is_dir() else 0o644)
    done = docker("run", "--rm", "--user", str(CONTRACT.uid), *NO_PRIVILEGES, "-e", "DOCKER_CONFIG=/dockerconfig",
                  "-v", f"{dockerconfig}:/dockerconfig:ro", "-v", f"{source}:/workspace/source:ro", builder_image,
                  "build", "/workspace/source", "--image", f"{registry.host}/step/flask:v1", check=False)
    assert done.returncode == 0, (done.stdout + done.stderr).decode()[-4000:]
    pinned = done.stdout.decode().strip().splitlines()[-1]
    assert "hello from flask" in run_container(pinned, docker_config=dockerconfig)

    sandboxed = dockless("build", str(source), "--image", f"{registry.host}/step/flask:sandbox",
                         docker_config=dockerconfig, cache_dir=build_cache)
    assert sandboxed.code == 0, sandboxed.stderr[-4000:]
    assert "build commands run on the host" not in sandboxed.stderr  # the other side really is the sandbox
    digest, step_digest = sandboxed.stdout.strip().splitlines()[-1].split("@")[1], pinned.split("@")[1]
    assert digest == step_digest, "\n".join(differences(layers(registry, "step/flask", step_digest),
                                                        layers(registry, "step/flask", digest)))
