"""Procfile-only apps through the real `dockless build`: git:// source, the auth registry, Docker, HTTP."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.e2e.cli import assert_clean_error, dockless
from tests.infra.registry import Registry
from tests.static.serving import serving

Publish = Callable[..., tuple[str, str]]  # tests/e2e/conftest.py `publish`


def test_shell_app_renders_its_page_with_busybox_and_serves_it_read_only(
        publish: Publish, registry: Registry, docker_config: Path, build_cache: Path, repo_name: str,
        docker_engine: object) -> None:
    _, url = publish("procfile-shell")
    run = dockless("build", url, "--image", f"{registry.host}/{repo_name}:v1",
                   docker_config=docker_config, cache_dir=build_cache)
    assert run.code == 0, run.stderr
    assert "detected procfile: found a Procfile: web runs './start.sh'" in run.stderr
    pinned = run.last_line
    with serving(pinned, docker_config=docker_config) as app:
        page = app.get("/")
        assert page.status == 200
        assert f"hello from a Procfile shell app on port {app.port} as uid 1000" in page.body  # sed, id: busybox
        assert app.stop() == 0  # the script traps SIGTERM
    manifest = json.loads(registry.manifest(repo_name, pinned.split("@")[1])[0])
    config = json.loads(registry.blob(repo_name, manifest["config"]["digest"]))["config"]
    assert config["User"] == "1000:1000" and config["Entrypoint"] == ["./start.sh"]

    again = dockless("build", url, "--image", f"{registry.host}/{repo_name}:v2",
                     docker_config=docker_config, cache_dir=build_cache)
    assert again.code == 0, again.stderr
    assert again.last_line.split("@")[1] == pinned.split("@")[1]  # same commit, same image


def test_busybox_httpd_one_liner(publish: Publish, registry: Registry, docker_config: Path, build_cache: Path,
                                 repo_name: str, docker_engine: object) -> None:
    _, url = publish("procfile-oneliner", {"Procfile": "web: busybox httpd -f -p $PORT -h www\n",
                                           "www/index.html": "<h1>busybox httpd</h1>\n"})
    run = dockless("build", url, "--image", f"{registry.host}/{repo_name}:v1",
                   docker_config=docker_config, cache_dir=build_cache)
    assert run.code == 0, run.stderr
    with serving(run.last_line, docker_config=docker_config) as app:
        assert "busybox httpd" in app.get("/").body


@pytest.mark.parametrize(("files", "code", "words"), [
    ({"Procfile": "worker: ./work.sh\n", "work.sh": "#!/bin/sh\n"}, 4,
     ("no buildpack group matched", "procfile: the Procfile has no web process (it lists worker)")),
    ({"Procfile": "web: nosuchtool --serve\n"}, 5, ("process 'web' cannot start: 'nosuchtool' is not in the image",)),
    ({"Procfile": "web: ./start.sh\n", "start.sh": "#!/bin/sh\nexec httpd -f -p $PORT\n"}, 5,
     ("the web process runs start.sh, which is not executable",)),
])
def test_bad_procfile_apps_fail_in_one_line_and_push_nothing(
        files: dict[str, str], code: int, words: tuple[str, ...], publish: Publish, registry: Registry,
        docker_config: Path, build_cache: Path, repo_name: str) -> None:
    _, url = publish("procfile-bad", files)
    run = dockless("build", url, "--image", f"{registry.host}/{repo_name}:v1",
                   docker_config=docker_config, cache_dir=build_cache)
    assert_clean_error(run, code, *words)
    assert registry.tags(repo_name) == []
