"""Process and port plumbing shared by the infrastructure fixtures."""

from __future__ import annotations

import contextlib
import http.server
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import NoReturn
from dataclasses import dataclass, field
from pathlib import Path

import pytest


def in_ci() -> bool:
    """CI must never silently skip infrastructure tests: missing tools are failures there."""
    return bool(os.environ.get("CI"))


def unavailable(reason: str) -> NoReturn:
    """Skip locally, fail loudly in CI (a skipped e2e suite in CI looks green but proves nothing)."""
    if in_ci():
        pytest.fail(f"{reason} (CI is set, so this is a failure, not a skip)", pytrace=False)
    pytest.skip(reason)


def require_tool(name: str) -> str:
    """Path of an executable, or skip/fail via `unavailable` (run scripts/setup-system)."""
    path = shutil.which(name)
    if path is None:
        unavailable(f"{name!r} is not installed; run scripts/setup-system as root")
    return path


def free_port() -> int:
    """A currently free loopback port (racy by nature; callers retry on bind failure)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    """True when something accepts TCP connections on host:port."""
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_until(check: Callable[[], bool], timeout: float, interval: float = 0.05) -> bool:
    """Poll `check` until it is true or `timeout` seconds pass; bounded so hangs become failures."""
    deadline = time.monotonic() + timeout
    while True:
        if check():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


def run(argv: Sequence[str | os.PathLike[str]], *, input: bytes | None = None,
        env: dict[str, str] | None = None, cwd: Path | None = None,
        timeout: float = 300) -> subprocess.CompletedProcess[bytes]:
    """Run a command, raising with its stderr on failure so test output says what broke."""
    cmd = [os.fspath(a) for a in argv]
    proc = subprocess.run(cmd, input=input, env=env, cwd=cwd, capture_output=True,
                          timeout=timeout, check=False)
    if proc.returncode != 0:
        raise RuntimeError(
            f"command failed ({proc.returncode}): {' '.join(cmd)}\n"
            f"--- stdout ---\n{proc.stdout.decode(errors='replace')[-4000:]}\n"
            f"--- stderr ---\n{proc.stderr.decode(errors='replace')[-4000:]}")
    return proc


@dataclass
class BackgroundProcess:
    """A long-running server with its output in a log file, stopped for sure at teardown."""

    argv: list[str]
    log_path: Path
    cwd: Path | None = None
    env: dict[str, str] | None = None
    proc: subprocess.Popen[bytes] | None = field(default=None, init=False)

    def start(self) -> None:
        with open(self.log_path, "ab") as log:
            # New session: a Ctrl-C aimed at pytest must not kill servers before teardown.
            self.proc = subprocess.Popen(self.argv, stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, cwd=self.cwd,
                                         env=self.env, start_new_session=True)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def wait_ready(self, check: Callable[[], bool], timeout: float = 30) -> bool:
        """True once `check` passes; False if the process died or time ran out."""
        return wait_until(lambda: not self.alive() or check(), timeout) and self.alive()

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)


def start_on_free_port(make: Callable[[int], BackgroundProcess], *, name: str,
                       ready: Callable[[int], bool] = port_open, timeout: float = 30,
                       attempts: int = 3) -> tuple[BackgroundProcess, int]:
    """Start a server on a free port, retrying when another process grabbed the port first."""
    last = ""
    for _ in range(attempts):
        port = free_port()
        server = make(port)
        server.start()
        if server.wait_ready(lambda: ready(port), timeout):
            return server, port
        server.stop()
        last = server.log_tail()
    raise RuntimeError(f"{name} did not start after {attempts} attempts; log:\n{last}")


@contextlib.contextmanager
def http_server(handler: type[http.server.BaseHTTPRequestHandler]) -> Iterator[int]:
    """`handler` served on a free loopback port in a thread for the block; yields the port."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
