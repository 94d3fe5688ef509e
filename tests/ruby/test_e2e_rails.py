"""puma and Rails through the real `dockless build`: git:// source, the local gem server, a registry with auth, Docker.

The gems are real: puma 5.6.5 from Debian's source package (its C parser
compiles in the build sandbox), nokogiri and nio4r as x86_64-linux gems holding
Debian's compiled extensions, Rails 6.1 from Debian's packages (see
tests/ruby/gemserver.py). Both apps ask for Ruby ~> 3.1.0, so they build and run
on Debian bookworm. Every image runs read-only (`--read-only --tmpfs /tmp`) as
its numeric user, and is answered over HTTP.
"""

from __future__ import annotations

import re
import secrets
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.e2e.cli import dockless
from tests.infra.docker_engine import docker
from tests.infra.procs import free_port
from tests.infra.registry import Registry
from tests.ruby.gemserver import GemServer
from tests.infra.pushed import layers, sbom
from tests.ruby.test_e2e_ruby import env_args

Publish = Callable[..., tuple[str, str]]  # tests/e2e/conftest.py `publish`
READ_ONLY = ("--read-only", "--tmpfs", "/tmp")



@dataclass(frozen=True)
class Served:
    """A running container: `get(path)` -> (status, body), `logs()`, `restart()` (waits for `/` again)."""

    get: Callable[[str], tuple[int, str]]
    logs: Callable[[], str]
    restart: Callable[[], None]


@contextmanager
def serving(image: str, docker_config: Path, read_only: bool = True, timeout: float = 90) -> Iterator[Served]:
    """Run `image` (read-only with a /tmp tmpfs, unless told) with PORT set; yield it once it answers `/`."""
    port = free_port()
    name = "dockless-test-" + secrets.token_hex(6)
    base = f"http://127.0.0.1:{port}"

    def get(path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(base + path, timeout=10) as resp:
                return resp.status, resp.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode(errors="replace")

    def logs() -> str:
        done = docker("logs", name, check=False)
        return done.stdout.decode(errors="replace") + done.stderr.decode(errors="replace")

    def wait() -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                get("/")
                return
            except OSError:
                state = docker("inspect", "-f", "{{.State.Running}}", name, check=False).stdout.decode().strip()
                if state != "true" or time.monotonic() > deadline:
                    raise AssertionError(f"{image} did not answer on {base}/ (running={state}):\n{logs()}")
                time.sleep(0.5)

    def restart() -> None:
        docker("restart", "--time", "5", name)
        wait()

    try:
        docker("run", "-d", "--name", name, "--network", "host", "-e", f"PORT={port}",
               *(READ_ONLY if read_only else ()), image, docker_config=docker_config)
        wait()
        yield Served(get, logs, restart)
    finally:
        docker("rm", "--force", name, check=False)


def test_config_ru_with_puma_locked_is_served_by_puma_with_its_c_parser_compiled_in_the_sandbox(
        publish: Publish, registry: Registry, docker_config: Path, build_cache: Path, gem_server: GemServer,
        repo_name: str, docker_engine: object) -> None:
    _, url = publish("ruby-puma")
    run = dockless("build", url, "--image", f"{registry.host}/{repo_name}:v1", *env_args(gem_server.mirror_env()),
                   docker_config=docker_config, cache_dir=build_cache)
    assert run.code == 0, run.stderr
    assert "starts with 'bundle exec puma -b tcp://0.0.0.0:${PORT:-8080} config.ru' from config.ru (puma is locked)" \
        in run.stderr
    assert "building on bookworm" in run.stderr
    assert "native gems puma: libssl-dev at build, libssl3 at launch" in run.stderr
    assert "/gems/puma-5.6.5.gem" in gem_server.requests  # the source gem: no .so inside, compiled here
    with serving(run.last_line, docker_config) as app:
        status, body = app.get("/")
        assert status == 200
        assert body.startswith("hello from puma 5.6.5 Birdie's Version (C parser puma_http11) "
                               "on ruby 3.1.2 (production)"), body
        assert "Puma starting" in app.logs() or "Puma version: 5.6.5" in app.logs()
    blobs = layers(registry, repo_name, run.last_line.split("@")[1])
    assert not any(gem_server.password.encode() in data for _, data in blobs)
    assert any(b"puma_http11.so" in data for _, data in blobs[:-1])  # compiled at build, shipped in the gems layer
    assert not any(b"usr/bin/gcc" in data for _, data in blobs[:-1])
    purls = {c["purl"] for c in sbom(blobs)["components"]}
    assert {"pkg:gem/puma@5.6.5", "pkg:gem/nio4r@2.5.8"} <= {p.split("?")[0] for p in purls}, purls


def test_rails_app_precompiles_assets_with_node_at_build_serves_them_read_only_and_rebuilds_to_the_same_digest(
        publish: Publish, registry: Registry, docker_config: Path, build_cache: Path, gem_server: GemServer,
        repo_name: str, docker_engine: object, tmp_path: Path) -> None:
    _, url = publish("ruby-rails")
    image = f"{registry.host}/{repo_name}:v1"
    started = time.monotonic()
    run = dockless("build", url, "--image", image, *env_args(gem_server.mirror_env()),
                   docker_config=docker_config, cache_dir=build_cache)
    cold = time.monotonic() - started  # gems installed unless an earlier test of the session left them
    assert run.code == 0, run.stderr
    assert "starts with 'bundle exec bin/rails server -b 0.0.0.0 -p ${PORT:-8080}' from Rails (bin/rails)" \
        in run.stderr
    assert "running bundle exec rails assets:precompile" in run.stderr
    assert "Node.js is needed at build only" in run.stderr  # the group [nodejs (optional), ruby] brought it
    assert "native gems nokogiri, puma:" in run.stderr and "libxml2 libxslt1.1" in run.stderr
    assert "tmp/ -> /tmp" in run.stderr
    pinned = run.last_line

    with serving(pinned, docker_config) as app:  # no SECRET_KEY_BASE given: a random one, said on stderr
        status, page = app.get("/")
        assert status == 200, page + app.logs()
        assert "hello from rails 6.1.7.10 on ruby 3.1.2 (production)" in page
        assert "parsed by nokogiri, served by puma 5.6.5" in page  # Debian's libxml2 is in the image
        css = re.search(r'href="(/assets/application-[0-9a-f]{64}\.css)"', page)
        assert css, page
        status, body = app.get(css.group(1))  # precompiled at build, served by Rails (RAILS_SERVE_STATIC_FILES)
        assert status == 200 and "#2b6cb0" in body, body
        said = app.logs()
        assert "Rails 6.1.7.10 application starting in production" in said, said
        assert "SECRET_KEY_BASE is not set" in said
    with serving(pinned, docker_config, read_only=False) as app:  # /tmp of the image's own; kept by a restart
        app.restart()  # the last run's tmp/pids/server.pid names PID 1: stale, dropped at start
        assert app.get("/")[0] == 200

    blobs = layers(registry, repo_name, pinned.split("@")[1])
    for digest, data in blobs:
        assert gem_server.password.encode() not in data, digest
        assert b"layers/nodejs" not in data and b"bin/node\0" not in data, digest  # Node.js stayed in the build
    purls = {c["purl"].split("?")[0] for c in sbom(blobs)["components"]}
    assert {"pkg:gem/railties@6.1.7.10", "pkg:gem/nokogiri@1.13.10", "pkg:gem/sprockets@3.7.2"} <= purls, purls
    assert not any(p.startswith("pkg:npm/node@") or p.startswith("pkg:generic/node@") for p in purls), purls

    # the same commit again with an empty cache: puma compiled, assets precompiled again, the very same image
    started = time.monotonic()
    again = dockless("build", url, "--image", f"{registry.host}/{repo_name}:v2", *env_args(gem_server.mirror_env()),
                     docker_config=docker_config, cache_dir=tmp_path / "fresh-cache")
    fresh = time.monotonic() - started
    assert again.code == 0, again.stderr
    assert "gems: installed" in again.stderr and "assets:precompile" in again.stderr
    assert again.last_line.split("@")[1] == pinned.split("@")[1]
    print(f"rails build: {cold:.0f}s, same commit with an empty cache {fresh:.0f}s")
