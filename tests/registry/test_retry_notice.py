"""Registry retries are told, one line each, and a loopback registry that is down gets a hint that can help.

From the second fresh-user trial: with the registry killed mid-copy the
output showed ~11 s of nothing, then exit 10 with a hint to try
--insecure-registry, which loopback hosts (always plain HTTP) do not need.
"""

from __future__ import annotations

import socket
import time
from pathlib import Path

import httpx
import pytest

from builder.errors import RegistryError, UnreachableError
from builder.registry.responses import unreachable
from builder.registry.retry import RetryPolicy, TryAgain, retry_notice, retrying
from tests.copy.images import make_layout
from tests.infra.registry import Registry
from tests.copy.test_transports import run_main
from tests.e2e.cli import assert_clean_error


def test_each_retry_is_told_with_what_attempt_and_why() -> None:
    told: list[str] = []
    slept: list[float] = []
    policy = RetryPolicy(attempts=3, sleep=slept.append, rand=lambda: 0.0, notify=told.append)
    error = UnreachableError("cannot reach registry 127.0.0.1:5934: connection refused")

    def attempt() -> str:
        raise TryAgain(error, what="the upload of blob 82a5a5c07b95")

    with pytest.raises(UnreachableError):
        retrying(policy, attempt)
    assert told == [
        "retrying the upload of blob 82a5a5c07b95 in 0.2 s (attempt 2 of 3): "
        "cannot reach registry 127.0.0.1:5934: connection refused",
        "retrying the upload of blob 82a5a5c07b95 in 0.5 s (attempt 3 of 3): "
        "cannot reach registry 127.0.0.1:5934: connection refused",
    ]
    assert slept == [0.25, 0.5]  # told before each wait, the wait it announced


def test_a_capped_retry_counts_against_its_own_limit_and_a_success_is_quiet() -> None:
    told: list[str] = []
    calls = iter([TryAgain(RegistryError("x answered 500"), max_attempts=2, retry_after=3.0)])

    def attempt() -> str:
        for again in calls:
            raise again
        return "ok"

    assert retrying(RetryPolicy(sleep=lambda s: None, notify=told.append), attempt) == "ok"
    assert told == ["retrying in 3.0 s (attempt 2 of 2): x answered 500"]
    assert retry_notice(TryAgain(RegistryError("e")), 1, 6, 0.5) == "retrying in 0.5 s (attempt 2 of 6): e"


def test_loopback_is_never_told_to_use_insecure_registry() -> None:
    down = unreachable("127.0.0.1:5934", httpx.ConnectError("[Errno 111] Connection refused"))
    assert "--insecure-registry" not in down.hint and "is running" in down.hint
    assert "--insecure-registry" not in unreachable("localhost:5000", httpx.ConnectError("x")).hint
    remote = unreachable("reg.example", httpx.ConnectError("x"))
    assert "--insecure-registry" in remote.hint  # a remote host may really speak plain HTTP


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_registry_that_is_down_shows_every_retry(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A real connection refused on loopback: the CLI prints each retry, then exit 10 with a useful hint."""
    layout, _ = make_layout(tmp_path / "src", {"hello": b"hello\n"})
    host = f"127.0.0.1:{_closed_port()}"
    started = time.monotonic()
    run = run_main(["copy", f"oci:{layout}:v1", f"{host}/trial/down:v1", "--cache-dir", str(tmp_path / "c")],
                   capsys)
    assert_clean_error(run, 10, f"cannot reach registry {host}", "is running")
    assert "--insecure-registry" not in run.stderr
    retries = [line for line in run.stderr.splitlines() if "retrying" in line]
    assert len(retries) == 5, run.stderr
    assert all(host in line for line in retries)
    assert "(attempt 2 of 6)" in retries[0] and "(attempt 6 of 6)" in retries[-1]
    assert time.monotonic() - started < 60


def test_a_missing_creds_store_helper_is_named_by_the_real_registry_401(registry: Registry, tmp_path: Path) -> None:
    """Trial bug 9 end to end: htpasswd registry, `"credsStore": "nope"`, no docker-credential-nope."""
    import json

    from tests.e2e.cli import dockless

    layout, _ = make_layout(tmp_path / "src", {"hello": b"hello\n"})
    config = tmp_path / "docker"
    config.mkdir()
    (config / "config.json").write_text(json.dumps({"credsStore": "nope"}))
    run = dockless("copy", f"oci:{layout}:v1", f"{registry.host}/trial/creds:v1", docker_config=config,
                   cache_dir=tmp_path / "c", env={"PATH": "/usr/bin:/bin"})
    assert_clean_error(run, 9, "docker-credential-nope", "not installed", "install docker-credential-nope")
    assert registry.password and registry.password not in run.stderr
