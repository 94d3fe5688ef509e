"""A build checks that it may push before it builds (as kaniko does): a wrong password, a registry that is
down, or a missing daemon costs seconds, not a whole build. Real distribution registry with htpasswd auth."""

from __future__ import annotations

import re
from pathlib import Path

from tests.e2e.cli import assert_clean_error, dockless
from tests.infra.procs import free_port
from tests.infra.registry import Registry, write_docker_config


def app(tmp_path: Path) -> Path:
    source = tmp_path / "app"
    source.mkdir()
    (source / "Procfile").write_text("web: while true; do sleep 1; done\n")
    return source


def test_wrong_credentials_fail_before_detection_and_leave_no_upload_open(registry: Registry,
                                                                          tmp_path: Path) -> None:
    assert registry.username is not None
    wrong = write_docker_config(tmp_path / "wrong", {registry.host: (registry.username, "not-the-password")})
    run = dockless("build", str(app(tmp_path)), "--image", f"{registry.host}/preflight/app:v1",
                   docker_config=wrong, cache_dir=tmp_path / "c")
    assert_clean_error(run, 9, f"registry refused the credentials for {registry.host}")
    assert f"checking that {registry.host} lets us push to preflight/app" in run.stderr
    assert "detected" not in run.stderr and "exporting" not in run.stderr  # nothing was built
    assert not (registry.root / "docker/registry/v2/repositories/preflight").exists()


def test_a_registry_that_is_down_fails_before_detection(tmp_path: Path) -> None:
    host = f"127.0.0.1:{free_port()}"
    run = dockless("build", str(app(tmp_path)), "--image", f"{host}/preflight/app:v1", cache_dir=tmp_path / "c")
    assert_clean_error(run, 10, f"nothing answered on {host}")
    assert "detected" not in run.stderr


def test_the_check_cancels_its_upload_session(registry: Registry, tmp_path: Path) -> None:
    run = dockless("build", str(app(tmp_path)), "--image", f"{registry.host}/preflight/ok:v1",
                   docker_config=registry.docker_config_dir(tmp_path / "ok"), cache_dir=tmp_path / "c")
    assert run.code == 0, run.stderr
    assert re.search(rf"{re.escape(registry.host)}/preflight/ok@sha256:[0-9a-f]{{64}}$", run.last_line)
    # the probe's session was cancelled (distribution-spec DELETE → 204; distribution 2.8 itself leaves an
    # empty hashstates directory behind, which its upload purging removes)
    cancelled = re.findall(r'"DELETE /v2/preflight/ok/blobs/uploads/[^ ]+ HTTP/1.1" (\d+)', registry.log_path.read_text())
    assert cancelled == ["204"]
