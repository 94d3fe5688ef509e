"""Drive the real Docker engine started by scripts/setup-system.

Docker is the independent judge of the images dockless writes: if `docker pull`
and `docker run` accept them, so will Knative's nodes. Containers run with
`--network host` (dockerd runs with `--bridge=none`) and are always removed.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from .procs import free_port, unavailable
from .registry import Registry

_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass(frozen=True)
class DockerEngine:
    """A reachable Docker engine: which CLI talks to it and the server version."""

    cli: str
    server_version: str


def check_docker_engine() -> DockerEngine:
    """`docker info` must work; skip locally otherwise, fail when CI is set."""
    cli = shutil.which("docker")
    if cli is None:
        unavailable("docker CLI not installed; run scripts/setup-system as root")
    try:
        proc = subprocess.run([cli, "info", "--format", "{{.ServerVersion}}"],
                              capture_output=True, timeout=30, check=False)
    except subprocess.TimeoutExpired:
        unavailable("`docker info` timed out; is dockerd healthy?")
    version = proc.stdout.decode().strip()
    if proc.returncode != 0 or not version:
        unavailable("Docker engine not reachable (`docker info` failed; scripts/setup-system "
                    f"starts dockerd): {proc.stderr.decode(errors='replace').strip()[-500:]}")
    return DockerEngine(cli=cli, server_version=version)


# The names the tests give images: the session's loopback registries and `dockless-*/` repositories.
TEST_IMAGE_NAMES = re.compile(r"^(?:docker\.io/)?(?:127\.0\.0\.1[:/]|localhost[:/]|dockless-[a-z0-9-]+/)")


@contextlib.contextmanager
def images_removed_after(engine: DockerEngine) -> Iterator[None]:
    """Remove the tests' images that appeared while the block ran (TEST_IMAGE_NAMES, or no name at all).

    Images that were there before stay, and so do images someone else made meanwhile under other names
    (a developer's own builds while the suite runs).
    """
    before = _image_ids(engine)
    try:
        yield
    finally:
        for image_id in sorted(_image_ids(engine) - before):
            proc = docker("image", "inspect", "--format", "{{json .RepoTags}} {{json .RepoDigests}}", image_id,
                          check=False)
            names = [n for part in proc.stdout.decode().split() for n in json.loads(part) or []]
            if proc.returncode == 0 and all(TEST_IMAGE_NAMES.match(n) for n in names):
                docker("rmi", "--force", image_id, check=False)


def _image_ids(engine: DockerEngine) -> set[str]:
    proc = subprocess.run([engine.cli, "image", "ls", "--all", "--quiet", "--no-trunc"],
                          capture_output=True, timeout=60, check=False)
    return set(proc.stdout.decode().split())


def docker(*args: str, docker_config: Path | None = None, input: bytes | None = None,
           timeout: float = 300, check: bool = True) -> subprocess.CompletedProcess[bytes]:
    """Run the docker CLI (optionally with `--config DIR`), raising with stderr on failure."""
    argv = ["docker"]
    if docker_config is not None:
        argv += ["--config", os.fspath(docker_config)]
    argv += list(args)
    proc = subprocess.run(argv, input=input, capture_output=True, timeout=timeout, check=False)
    if check and proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({proc.returncode}):\n"
                           f"{proc.stderr.decode(errors='replace')[-4000:]}")
    return proc


def docker_login(registry: Registry, config_dir: Path) -> Path:
    """`docker login --password-stdin` into a private config dir (never ~/.docker)."""
    assert registry.username is not None and registry.password is not None, "registry has no auth"
    config_dir.mkdir(parents=True, exist_ok=True)
    docker("login", "--username", registry.username, "--password-stdin", registry.host,
           docker_config=config_dir, input=registry.password.encode())
    return config_dir


def docker_pull(image_ref: str, *, docker_config: Path | None = None) -> None:
    docker("pull", "--quiet", image_ref, docker_config=docker_config)


def docker_rmi(image_ref: str) -> None:
    """Remove a local image, ignoring 'no such image' (keeps the engine's disk in check)."""
    docker("rmi", "--force", image_ref, check=False)


def _env_args(env: Mapping[str, str] | None) -> list[str]:
    return [a for k, v in (env or {}).items() for a in ("-e", f"{k}={v}")]


def docker_run_output(image_ref: str, *cmd: str, env: Mapping[str, str] | None = None,
                      docker_config: Path | None = None, pull: str = "missing",
                      extra_args: Sequence[str] = (), timeout: float = 300) -> str:
    """stdout of a one-shot `docker run --rm` (host network); raises on non-zero exit."""
    name = "dockless-test-" + secrets.token_hex(6)
    try:
        proc = docker("run", "--rm", "--name", name, "--network", "host", "--pull", pull,
                      *_env_args(env), *extra_args, image_ref, *cmd,
                      docker_config=docker_config, timeout=timeout)
    finally:
        docker("rm", "--force", name, check=False)
    return proc.stdout.decode()


def run_container(image_ref: str, *, port: int | None = None, env: Mapping[str, str] | None = None,
                  docker_config: Path | None = None, pull: str = "missing",
                  extra_args: Sequence[str] = (), path: str = "/", timeout: float = 60) -> str:
    """Run a server image with PORT set, return the body of GET http://127.0.0.1:PORT{path}.

    Waits (bounded) until the app answers, fails early with `docker logs` if the
    container exits or answers with an error status, and always removes it.
    """
    return _serve(image_ref, port, env, docker_config, pull, extra_args, path, timeout, stop=False)[0]


def serve_then_stop(image_ref: str, *, docker_config: Path | None = None, path: str = "/",
                    timeout: float = 60) -> tuple[str, int]:
    """Run a server image, wait for its answer at `path`, then `docker stop` it (SIGTERM, 30 s grace).

    Returns the body and the container's exit code: 0 when the app ended on SIGTERM
    itself, 137 when Docker had to kill it (SIGTERM never reached it).
    """
    return _serve(image_ref, None, None, docker_config, "missing", (), path, timeout, stop=True)


def _serve(image_ref: str, port: int | None, env: Mapping[str, str] | None, docker_config: Path | None,
           pull: str, extra_args: Sequence[str], path: str, timeout: float, *, stop: bool) -> tuple[str, int]:
    port = port if port is not None else free_port()
    name = "dockless-test-" + secrets.token_hex(6)
    full_env = {"PORT": str(port), **(env or {})}
    try:
        docker("run", "-d", "--name", name, "--network", "host", "--pull", pull,
               *_env_args(full_env), *extra_args, image_ref, docker_config=docker_config)
        body = _answer(name, image_ref, f"http://127.0.0.1:{port}{path}", timeout)
        if not stop:
            return body, 0
        docker("stop", "-t", "30", name)
        code = docker("inspect", "--format", "{{.State.ExitCode}}", name).stdout.decode().strip()
        return body, int(code)
    finally:
        docker("rm", "--force", name, check=False)


def _answer(name: str, image_ref: str, url: str, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with _OPENER.open(url, timeout=5) as resp:
                body: bytes = resp.read()
                return body.decode(errors="replace")
        except urllib.error.HTTPError as err:
            raise AssertionError(f"{url} answered {err.code}: {err.read()[:1000]!r}\n{_logs(name)}") from None
        except OSError:
            pass
        if not _running(name):
            raise AssertionError(f"container {image_ref} exited before answering\n{_logs(name)}")
        if time.monotonic() > deadline:
            raise AssertionError(f"{url} did not answer within {timeout}s\n{_logs(name)}")
        time.sleep(0.25)


def _running(name: str) -> bool:
    proc = docker("inspect", "--format", "{{.State.Running}}", name, check=False)
    return proc.stdout.decode().strip() == "true"


def _logs(name: str) -> str:
    proc = docker("logs", "--tail", "200", name, check=False)
    return ("--- docker logs ---\n" + proc.stdout.decode(errors="replace")
            + proc.stderr.decode(errors="replace"))
