"""Run a built image under the real Docker engine and ask it over HTTP: status, headers and body per path."""

from __future__ import annotations

import secrets
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.infra.docker_engine import docker
from tests.infra.procs import free_port

_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]  # lower-case names; repeated headers joined with ", "
    body: str


@dataclass
class Container:
    name: str
    port: int

    def get(self, path: str, headers: dict[str, str] | None = None, method: str = "GET") -> Answer:
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", headers=headers or {}, method=method)
        try:
            with _OPENER.open(request, timeout=5) as resp:
                return Answer(resp.status, _headers(resp.headers.items()), resp.read().decode(errors="replace"))
        except urllib.error.HTTPError as err:
            return Answer(err.code, _headers(err.headers.items()), err.read().decode(errors="replace"))

    def stop(self) -> int:
        """`docker stop` (SIGTERM, 10 s grace): the exit code, 0 when the server ended on SIGTERM itself."""
        docker("stop", "-t", "10", self.name)
        return int(docker("inspect", "--format", "{{.State.ExitCode}}", self.name).stdout.decode().strip())

    def logs(self) -> str:
        proc = docker("logs", "--tail", "100", self.name, check=False)
        return proc.stdout.decode(errors="replace") + proc.stderr.decode(errors="replace")


def _headers(items: object) -> dict[str, str]:
    found: dict[str, str] = {}
    for name, value in items:  # type: ignore[attr-defined]
        key = name.lower()
        found[key] = f"{found[key]}, {value}" if key in found else value
    return found


@contextmanager
def serving(image: str, *, docker_config: Path | None = None, timeout: float = 60) -> Iterator[Container]:
    """The image running read-only (only /tmp writable, as a tmpfs) with -e PORT=<free port>, once it answers."""
    container = Container("dockless-test-" + secrets.token_hex(6), free_port())
    try:
        docker("run", "-d", "--name", container.name, "--network", "host", "--read-only", "--tmpfs", "/tmp",
               "-e", f"PORT={container.port}", image, docker_config=docker_config)
        deadline = time.monotonic() + timeout
        while True:
            try:
                container.get("/")
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise AssertionError(f"{image} did not answer within {timeout}s\n{container.logs()}") from None
                running = docker("inspect", "--format", "{{.State.Running}}", container.name, check=False)
                if running.stdout.decode().strip() != "true":
                    raise AssertionError(f"{image} exited before answering\n{container.logs()}") from None
                time.sleep(0.25)
        yield container
    finally:
        docker("rm", "--force", container.name, check=False)
