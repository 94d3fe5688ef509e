"""Ruby apps through the real `dockless build`: git:// source, the local gem server, a registry with auth, Docker.

Nothing is faked: the gems are real .gem files fetched by Debian trixie's
Bundler in the build sandbox, the C extension compiles with the stack's gcc,
and every image is pulled and run by a real Docker engine.
"""

from __future__ import annotations

import io
import json
import re
import secrets
import tarfile
import time
import urllib.request
from pathlib import Path
from collections.abc import Callable

import pytest

from tests.e2e.cli import assert_clean_error, dockless
from tests.infra.docker_engine import docker, docker_run_output, run_container
from tests.infra.procs import free_port
from tests.infra.pushed import layers, sbom
from tests.infra.registry import Registry
from tests.ruby.gemserver import GemServer

Publish = Callable[..., tuple[str, str]]  # tests/e2e/conftest.py `publish`

LOCK = """GEM
  remote: {remote}
  specs:
{specs}
PLATFORMS
  ruby
  x86_64-linux

DEPENDENCIES
{deps}
BUNDLED WITH
   2.6.7
"""


def lockfile(remote: str, gems: dict[str, str]) -> str:
    return LOCK.format(remote=remote, specs="".join(f"    {n} ({v})\n" for n, v in gems.items()),
                       deps="".join(f"  {n}\n" for n in gems))


def env_args(env: dict[str, str]) -> list[str]:
    return [arg for key, value in env.items() for arg in ("--env", f"{key}={value}")]






def layer_with(blobs: list[tuple[str, bytes]], path: str) -> str:
    """The digest of the layer holding `path`."""
    for digest, data in blobs[:-1]:
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            if any(name.lstrip("./").startswith(path) for name in tar.getnames()):
                return digest
    raise AssertionError(f"no layer holds {path}")


def test_rack_app_from_git_pushed_with_auth_served_and_gems_reused_on_a_code_change(
        publish: Publish, registry: Registry, docker_config: Path, build_cache: Path, gem_server: GemServer,
        repo_name: str, docker_engine: object) -> None:
    _, url = publish("ruby-rack-app")
    run = dockless("build", url, "--image", f"{registry.host}/{repo_name}:v1", *env_args(gem_server.mirror_env()),
                   docker_config=docker_config, cache_dir=build_cache)
    assert run.code == 0, run.stderr
    pinned = run.last_line
    assert re.fullmatch(rf"{re.escape(registry.host)}/{re.escape(repo_name)}@sha256:[0-9a-f]{{64}}", pinned)
    assert "/gems/rack-2.2.22.gem" in gem_server.requests  # fetched from the local server, through the mirror
    assert "Ruby '3.3.8' from Gemfile.lock RUBY VERSION" in run.stderr

    port = free_port()
    body = run_container(pinned, port=port, docker_config=docker_config, extra_args=("--read-only", "--tmpfs", "/tmp"))
    assert "hello from rack 2.2.22 on ruby 3.3.8 (production)" in body

    blobs = layers(registry, repo_name, pinned.split("@")[1])
    for digest, data in blobs:  # the gem server's password reached bundler, never the image
        assert gem_server.password.encode() not in data, digest
    assert gem_server.password not in run.stderr + run.stdout
    purls = {c["purl"] for c in sbom(blobs)["components"]}
    assert {"pkg:gem/rack@2.2.22", "pkg:gem/webrick@1.8.1", "pkg:generic/ruby@3.3.8"} <= purls
    assert any(p.startswith("pkg:deb/debian/ruby3.3@") for p in purls)
    config = json.loads(blobs[-1][1])["config"]
    assert "RACK_ENV=production" in config["Env"] and re.fullmatch(r"[1-9]\d*(:\d+)?", config["User"])
    gems_layer = layer_with(blobs, "layers/ruby/gems")

    # a code-only change: the gems are not installed again, and their layer is the same blob
    _, changed = publish("ruby-rack-app", {"config.ru": 'run ->(env) { [200, {}, ["changed code\\n"]] }\n'})
    again = dockless("build", changed, "--image", f"{registry.host}/{repo_name}:v2",
                     *env_args(gem_server.mirror_env()), docker_config=docker_config, cache_dir=build_cache)
    assert again.code == 0, again.stderr
    assert "gems: reused the cached layer" in again.stderr and "bundle install" not in again.stderr
    assert layer_with(layers(registry, repo_name, again.last_line.split("@")[1]), "layers/ruby/gems") == gems_layer
    assert "changed code" in run_container(again.last_line, docker_config=docker_config)


def test_gem_with_a_c_extension_compiles_in_the_sandbox_and_test_gems_are_left_out(
        publish: Publish, registry: Registry, docker_config: Path, build_cache: Path, gem_server: GemServer,
        repo_name: str, docker_engine: object) -> None:
    # broken_ext does not compile: it is in the test group, which BUNDLE_WITHOUT leaves out by default
    files = {"Gemfile": f'source "{gem_server.url}"\ngem "hello_ext"\ngroup :test do\n  gem "broken_ext"\nend\n',
             "Gemfile.lock": lockfile(f"{gem_server.url}/", {"broken_ext": "1.0.0", "hello_ext": "1.0.0"}),
             "Procfile": "web: bundle exec ruby app.rb\n",
             "app.rb": 'require "hello_ext"\nputs "#{HelloExt.greet} #{ARGV.join(" ")}"\n'}
    _, url = publish("ruby-c-ext", files)
    run = dockless("build", url, "--image", f"{registry.host}/{repo_name}:v1", *env_args(gem_server.credentials_env()),
                   docker_config=docker_config, cache_dir=build_cache)
    assert run.code == 0, run.stderr
    out = docker_run_output(run.last_line, "from", "args", docker_config=docker_config)
    assert out.strip() == "hello from C from args"  # the compiled .so loads at launch; docker run args reach it
    blobs = layers(registry, repo_name, run.last_line.split("@")[1])
    assert not any(gem_server.password.encode() in data for _, data in blobs)
    assert not any(b"usr/bin/gcc" in data for _, data in blobs[:-1])  # the compiler stayed in the build
    purls = {c["purl"] for c in sbom(blobs)["components"]}
    assert "pkg:gem/hello_ext@1.0.0" in purls and not any("broken_ext" in p for p in purls)


def test_time_source_posts_cloudevents_to_a_logger_built_by_dockless(
        publish: Publish, registry: Registry, docker_config: Path, build_cache: Path,
        repo_name: str, docker_engine: object) -> None:
    images = {}
    for example in ("ruby-event-logger", "ruby-time-source"):
        _, url = publish(example)
        run = dockless("build", url, "--image", f"{registry.host}/{repo_name}-{example}:v1",
                       docker_config=docker_config, cache_dir=build_cache)
        assert run.code == 0, run.stderr
        assert "Dockerfile" not in run.stderr
        images[example] = run.last_line
    port = free_port()
    logger = "dockless-logger-" + secrets.token_hex(4)
    sources = ["dockless-source-" + secrets.token_hex(4) for _ in range(2)]
    try:
        docker("run", "-d", "--name", logger, "--network", "host", "-e", f"PORT={port}",
               images["ruby-event-logger"], docker_config=docker_config)
        sink = f"http://127.0.0.1:{port}"
        docker("run", "-d", "--name", sources[0], "--network", "host", images["ruby-time-source"],
               f"--sink={sink}", "--interval=1", docker_config=docker_config)
        docker("run", "-d", "--name", sources[1], "--network", "host", "-e", f"K_SINK={sink}/k",
               images["ruby-time-source"], "--interval", "1", docker_config=docker_config)
        deadline = time.monotonic() + 60
        logs = ""
        while time.monotonic() < deadline:
            logs = docker("logs", logger).stdout.decode()
            if logs.count("ce-type=dev.dockless.time") >= 4 and "/k" in "".join(docker("logs", s).stdout.decode()
                                                                                   for s in sources[1:]):
                break
            time.sleep(1)
        events = [line for line in logs.splitlines() if "event-logger: event" in line]
        assert len(events) >= 4, logs
        assert all("ce-specversion=1.0" in e and "ce-source=" in e and re.search(r"ce-id=[0-9a-f-]{36}", e)
                   for e in events), events
        assert re.search(r'body=\{"time":"\d{4}-\d\d-\d\dT', events[-1])
        source_log = docker("logs", sources[1]).stdout.decode()
        assert f"sending to {sink}/k every 1.0s" in source_log and ": 202" in source_log  # K_SINK was used
        with urllib.request.urlopen(f"{sink}/", timeout=5) as resp:
            assert re.match(r"event-logger: \d+ events", resp.read().decode())
    finally:
        for name in (logger, *sources):
            docker("rm", "--force", name, check=False)


@pytest.mark.parametrize(("case", "code", "words"), [
    ("malformed-lock", 2, ("Gemfile.lock line 1",)),
    ("impossible-ruby", 5, ("Ruby '2.7.8' (.ruby-version) is not offered", "trixie has Ruby 3.3")),
    ("missing-gem", 5, ("bundle install failed",)),
    ("failing-compile", 5, ("bundle install failed",)),
    ("missing-launch-library", 5, ("/layers/ruby/gems/ruby/3.3.0/", "gomp_ext",
                                   "needs the shared library libgomp.so.1, which is not in the image")),
    ("no-lockfile", 5, ("the Gemfile declares gems but there is no Gemfile.lock",)),
    ("exact-ruby-no-gems", 5, ("the Gemfile asks for Ruby 3.3.4 exactly", "Bundler would refuse it")),
    ("test-only-gem", 5, ("app.rb:1 requires 'hello_ext', but the Gemfile has the gem hello_ext only in groups",
                          "BUNDLE_WITHOUT=development:test")),
])
def test_bad_ruby_input_fails_in_one_line_and_pushes_nothing(
        case: str, code: int, words: tuple[str, ...], publish: Publish, registry: Registry,
        docker_config: Path, build_cache: Path, gem_server: GemServer, repo_name: str) -> None:
    source = f"{gem_server.url}/"
    files = {
        "malformed-lock": {"Gemfile": "gem 'rack'\n", "Gemfile.lock": "<<<<<<< HEAD\nGEM\n", "app.rb": "\n"},
        "impossible-ruby": {"Gemfile": "", ".ruby-version": "ruby-2.7.8\n", "app.rb": "\n"},
        "missing-gem": {"Gemfile": f'source "{gem_server.url}"\ngem "no_such_gem"\n', "app.rb": "\n",
                        "Gemfile.lock": lockfile(source, {"no_such_gem": "9.9.9"})},
        "failing-compile": {"Gemfile": f'source "{gem_server.url}"\ngem "broken_ext"\n', "app.rb": "\n",
                            "Gemfile.lock": lockfile(source, {"broken_ext": "1.0.0"})},
        # compiles against the build root's libgomp, which no run image has: refused at build, not at `require`
        "missing-launch-library": {"Gemfile": f'source "{gem_server.url}"\ngem "gomp_ext"\n',
                                   "Gemfile.lock": lockfile(source, {"gomp_ext": "1.0.0"}),
                                   "app.rb": 'require "gomp_ext"\n'},
        "no-lockfile": {"Gemfile": f'source "{gem_server.url}"\ngem "rack"\n', "config.ru": "run nil\n"},
        # no gems, but `bundle exec` at launch would still refuse the running 3.3.x
        "exact-ruby-no-gems": {"Gemfile": 'ruby "3.3.4"\n', "Procfile": "web: bundle exec ruby app.rb\n",
                               "app.rb": "\n"},
        # the app needs at start a gem that only the test group has: installed without it, it would not start
        "test-only-gem": {"Gemfile": f'source "{gem_server.url}"\ngroup :test do\n  gem "hello_ext"\nend\n',
                          "Gemfile.lock": lockfile(source, {"hello_ext": "1.0.0"}),
                          "app.rb": 'require "hello_ext"\nputs HelloExt.hello\n'},
    }[case]
    _, url = publish(f"ruby-{case}", files)
    run = dockless("build", url, "--image", f"{registry.host}/{repo_name}:v1", *env_args(gem_server.credentials_env()),
                   docker_config=docker_config, cache_dir=build_cache)
    assert_clean_error(run, code, *words)
    assert registry.tags(repo_name) == []
    if case == "failing-compile":
        assert "broken_ext" in run.stderr


def test_same_commit_twice_gives_the_same_digest_with_fresh_caches(
        publish: Publish, gem_server: GemServer, tmp_path: Path) -> None:
    _, url = publish("ruby-rack-app")
    digests = []
    for n in (1, 2):  # a fresh cache each time: the gems are installed again, the layer must not change
        run = dockless("build", url, "--image", f"oci:{tmp_path / f'oci{n}'}", *env_args(gem_server.mirror_env()),
                       cache_dir=tmp_path / f"cache{n}")
        assert run.code == 0, run.stderr
        assert "gems: installed" in run.stderr
        digests.append(run.last_line.split("@")[1])
    assert digests[0] == digests[1]


def test_sinatra_app_with_a_bundler_2_3_lockfile_starts_from_app_rb(
        publish: Publish, registry: Registry, docker_config: Path, build_cache: Path, gem_server: GemServer,
        repo_name: str, docker_engine: object) -> None:
    _, url = publish("ruby-sinatra")
    run = dockless("build", url, "--image", f"{registry.host}/{repo_name}:v1", *env_args(gem_server.mirror_env()),
                   docker_config=docker_config, cache_dir=build_cache)
    assert run.code == 0, run.stderr
    assert "starts with 'bundle exec ruby app.rb' from app.rb" in run.stderr
    assert "Bundler 2.3.15 from Gemfile.lock BUNDLED WITH" in run.stderr  # installed by the stack's 2.6, same major
    body = run_container(run.last_line, docker_config=docker_config)
    assert "hello from sinatra 3.0.5 on ruby 3.3.8 (production)" in body
    purls = {c["purl"] for c in sbom(layers(registry, repo_name, run.last_line.split("@")[1]))["components"]}
    assert {"pkg:gem/sinatra@3.0.5", "pkg:gem/mustermann@3.0.0", "pkg:gem/tilt@2.0.11"} <= purls


def test_ruby_3_1_builds_and_runs_on_bookworm_which_has_it(
        publish: Publish, registry: Registry, docker_config: Path, build_cache: Path, repo_name: str,
        docker_engine: object) -> None:
    """Debian trixie has Ruby 3.3 only; bookworm has 3.1: the whole build (build root, run image) moves there."""
    _, url = publish("ruby-event-logger", {".ruby-version": "3.1\n"})
    run = dockless("build", url, "--image", f"{registry.host}/{repo_name}:v1", docker_config=docker_config,
                   cache_dir=build_cache)
    assert run.code == 0, run.stderr
    assert "building on bookworm" in run.stderr
    image = run.last_line
    assert run_container(image, docker_config=docker_config).startswith("event-logger: 0 events")
    said = docker_run_output(image, "-e", 'print RUBY_VERSION, " ", File.read("/etc/debian_version")',
                             extra_args=("--entrypoint", "/usr/bin/ruby3.1"), docker_config=docker_config)
    assert said.startswith("3.1.") and " 12." in said
