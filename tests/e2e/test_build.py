"""From a git:// URL to a running container: build, push with auth, pull, run, curl."""

from __future__ import annotations

import gzip
import io
import json
import re
import signal
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest

from tests.e2e.cli import assert_clean_error, dockless
from tests.e2e.conftest import EXAMPLES
from tests.infra.docker_engine import docker_run_output, run_container
from tests.infra.faultproxy import FaultProxy
from tests.infra.gitdaemon import GitDaemon
from tests.infra.registry import Registry

EXPECTED = {
    "nodejs-express": "Hello World!",
    "nodejs-yarn": "yarn app built with a build script",
    "nodejs-pnpm": "pnpm app (kleur loaded",
    "nodejs-plain": "plain node v",
}


def layer_names(registry: Registry, repo: str, digest: str) -> list[list[str]]:
    """File names in each layer of a pushed image, read straight from the registry."""
    manifest = json.loads(registry.manifest(repo, digest)[0])
    return [tarfile.open(fileobj=io.BytesIO(gzip.decompress(registry.blob(repo, layer["digest"])))).getnames()
            for layer in manifest["layers"]]


def config_of(registry: Registry, repo: str, digest: str) -> dict:
    manifest = json.loads(registry.manifest(repo, digest)[0])
    return json.loads(registry.blob(repo, manifest["config"]["digest"]))


@pytest.mark.parametrize("example", sorted(EXPECTED))
def test_example_builds_pushes_and_serves(example: str, publish, registry: Registry, docker_config: Path,  # type: ignore[no-untyped-def]
                                          build_cache: Path, repo_name: str, docker_engine: object) -> None:
    name, url = publish(example)
    dest = f"{registry.host}/{repo_name}:v1"
    run = dockless("build", url, "--image", dest, docker_config=docker_config, cache_dir=build_cache)
    assert run.code == 0, run.stderr
    pinned = run.last_line
    assert re.fullmatch(rf"{re.escape(registry.host)}/{re.escape(repo_name)}@sha256:[0-9a-f]{{64}}", pinned)
    digest = pinned.split("@")[1]
    assert registry.manifest_digest(repo_name, "v1") == digest

    # Knative may give the app a read-only root file system (all but /tmp)
    body = run_container(pinned, docker_config=docker_config, extra_args=("--read-only", "--tmpfs", "/tmp"))
    assert EXPECTED[example] in body

    config = config_of(registry, repo_name, digest)
    user = config["config"]["User"]
    assert re.fullmatch(r"[1-9]\d*(:\d+)?", user), user  # numeric, non-root
    labels = config["config"]["Labels"]
    assert labels["org.opencontainers.image.source"] == url
    assert re.fullmatch(r"[0-9a-f]{40}", labels["org.opencontainers.image.revision"])
    assert "8080/tcp" in config["config"]["ExposedPorts"]
    assert "NODE_ENV=production" in config["config"]["Env"]
    for names in layer_names(registry, repo_name, digest):
        assert not any(n == ".git" or n.endswith("/.git") or "/.git/" in n for n in names)

    # the SBOM names the run image's Debian packages, the runtime and (for apps with deps) the dependencies
    assert labels["io.dockless.sbom"] == "/layers/sbom/launch/sbom.cdx.json"
    sbom = json.loads(docker_run_output(pinned, "-e",
                                        "process.stdout.write(require('fs').readFileSync('/layers/sbom/launch/sbom.cdx.json'))",
                                        extra_args=("--entrypoint", "/layers/nodejs/node/bin/node"),
                                        docker_config=docker_config, timeout=60))
    purls = {c["purl"].split("@")[0] for c in sbom["components"]}
    assert {"pkg:deb/debian/libc6", "pkg:generic/node"} <= purls
    if example == "nodejs-express":
        assert "pkg:npm/express" in purls


def test_same_commit_twice_gives_the_same_digest_even_with_a_fresh_cache(publish, registry: Registry,  # type: ignore[no-untyped-def]
                                                                        docker_config: Path, build_cache: Path,
                                                                        repo_name: str, tmp_path: Path) -> None:
    _, url = publish("nodejs-plain")
    first = dockless("build", url, "--image", f"{registry.host}/{repo_name}:a",
                     docker_config=docker_config, cache_dir=build_cache)
    second = dockless("build", url, "--image", f"{registry.host}/{repo_name}:b",
                      docker_config=docker_config, cache_dir=tmp_path / "fresh-cache")
    assert first.code == 0 and second.code == 0, (first.stderr, second.stderr)
    assert first.last_line.split("@")[1] == second.last_line.split("@")[1]


def test_code_only_change_uploads_only_the_app_layer(publish, git_daemon: GitDaemon, registry: Registry,  # type: ignore[no-untyped-def]
                                                     build_cache: Path, repo_name: str, tmp_path: Path,
                                                     docker_engine: object) -> None:
    name, url = publish("nodejs-express")
    with FaultProxy(registry, rate=0.0) as proxy:
        config = proxy.docker_config_dir(tmp_path / "cfg")
        dest = f"{proxy.host}/{repo_name}:latest"
        v1 = dockless("build", url, "--image", dest, docker_config=config, cache_dir=build_cache)
        assert v1.code == 0, v1.stderr
        hello = (Path(__file__).resolve().parents[2] / "examples/nodejs-express/hello.js").read_text()
        git_daemon.commit_change(name, "hello.js", hello.replace("Hello ${target}!", "Howdy ${target}!"))
        proxy.stats.reset()
        v2 = dockless("build", url, "--image", dest, docker_config=config, cache_dir=build_cache)
        assert v2.code == 0, v2.stderr
        uploads = [r for r in proxy.stats.records if r.method == "PUT" and "/blobs/uploads/" in r.path]
    d1, d2 = v1.last_line.split("@")[1], v2.last_line.split("@")[1]
    assert d1 != d2
    m1 = json.loads(registry.manifest(repo_name, d1)[0])
    m2 = json.loads(registry.manifest(repo_name, d2)[0])
    l1, l2 = [x["digest"] for x in m1["layers"]], [x["digest"] for x in m2["layers"]]
    assert l1[:-1] == l2[:-1]  # run image, runtime and node_modules reused byte for byte
    assert l1[-1] != l2[-1]
    uploaded = {re.search(r"digest=(sha256(?::|%3A)[0-9a-f]{64})", r.path).group(1).replace("%3A", ":")
                for r in uploads}
    assert uploaded == {l2[-1], m2["config"]["digest"]}
    pinned = f"{registry.host}/{repo_name}@{d2}"
    from tests.infra.registry import write_docker_config
    cfg = write_docker_config(tmp_path / "direct", {registry.host: (registry.username, registry.password)})
    assert "Howdy World!" in run_container(pinned, docker_config=cfg)


def test_npmrc_token_never_reaches_the_image_or_the_log(publish, registry: Registry, docker_config: Path,  # type: ignore[no-untyped-def]
                                                        build_cache: Path, repo_name: str) -> None:
    token = "npm_Sup3rSecretT0kenDockless"
    _, url = publish("nodejs-express", {".npmrc": f"//registry.npmjs.org/:_authToken={token}\n"})
    run = dockless("build", url, "--image", f"{registry.host}/{repo_name}:v1", "--verbose",
                   docker_config=docker_config, cache_dir=build_cache)
    assert run.code == 0, run.stderr
    assert token not in run.stderr and token not in run.stdout
    digest = run.last_line.split("@")[1]
    manifest = json.loads(registry.manifest(repo_name, digest)[0])
    for layer in manifest["layers"]:
        raw = gzip.decompress(registry.blob(repo_name, layer["digest"]))
        assert token.encode() not in raw
    assert not any(n.endswith(".npmrc") for names in layer_names(registry, repo_name, digest) for n in names)


def test_detect_explains_pass_and_fail(publish, build_cache: Path) -> None:  # type: ignore[no-untyped-def]
    _, url = publish("nodejs-express")
    run = dockless("detect", url, "--json", cache_dir=build_cache)
    assert run.code == 0, run.stderr
    report = json.loads(run.stdout)
    assert report["group"] == ["nodejs"]
    node = report["groups"][0]["buildpacks"][0]
    assert node["passed"] and node["provides"] == ["node"]
    plan = {r["name"]: r["metadata"] for r in node["requires"]}
    assert plan["node"]["node"] == ">=18" and plan["node"]["package_manager"] == "npm"
    human = dockless("detect", url, cache_dir=build_cache)
    assert re.search(r"^pass  group \d+: nodejs$", human.stdout, re.M)  # the Node-only group, after Ruby's

    _, empty = publish("no-such-example", {"README.md": "just docs\n"})
    none = dockless("detect", empty, cache_dir=build_cache)
    assert_clean_error(none, 4, "no buildpack group matched")
    assert "fail  group 1: nodejs" in none.stdout and "package.json" in none.stdout


BAD = {
    "malformed package.json": ({"package.json": '{"name": "x",\n  "scripts": {\n}'}, 2, "package.json"),
    "impossible engines.node": ({"package.json": '{"name":"x","engines":{"node":">=99"}}', "index.js": ""}, 5, "nearest"),
    "failing npm install": ({"package.json": '{"name":"x","dependencies":{"dockless-no-such-package-zz9":"1.0.0"}}',
                             "index.js": ""}, 5, "npm"),
    "nothing to detect": ({"main.py": "print('hi')\n"}, 4, "no buildpack group matched"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_sources_fail_cleanly_and_push_nothing(case: str, publish, registry: Registry,  # type: ignore[no-untyped-def]
                                                   docker_config: Path, build_cache: Path, repo_name: str) -> None:
    files, code, word = BAD[case]
    _, url = publish("empty-app", files)
    run = dockless("build", url, "--image", f"{registry.host}/{repo_name}:v1",
                   docker_config=docker_config, cache_dir=build_cache)
    assert_clean_error(run, code, word)
    assert registry.tags(repo_name) == []


def test_bad_revisions_urls_and_credentials(publish, registry: Registry, docker_config: Path,  # type: ignore[no-untyped-def]
                                            build_cache: Path, repo_name: str, tmp_path: Path) -> None:
    _, url = publish("nodejs-plain")
    dest = f"{registry.host}/{repo_name}:v1"
    assert_clean_error(dockless("build", url, "--revision", "no-such-branch", "--image", dest,
                                docker_config=docker_config, cache_dir=build_cache), 3, "no-such-branch")
    assert_clean_error(dockless("build", "git://127.0.0.1:1/nothing.git", "--image", dest,
                                docker_config=docker_config, cache_dir=build_cache), 3)
    from tests.infra.registry import write_docker_config
    bad = write_docker_config(tmp_path / "bad", {registry.host: (registry.username, "Wr0ng-Pa55-q7")})
    denied = dockless("build", url, "--image", dest, docker_config=bad, cache_dir=build_cache)
    assert_clean_error(denied, 9, registry.host)
    assert "Wr0ng-Pa55-q7" not in denied.stderr
    assert_clean_error(dockless("build", url, "--image", dest, "--env", "NOEQUALS",
                                docker_config=docker_config, cache_dir=build_cache), 2, "KEY=VALUE")
    assert registry.tags(repo_name) == []


def test_revision_and_subdir_and_digest_file(publish, git_daemon: GitDaemon, registry: Registry,  # type: ignore[no-untyped-def]
                                             docker_config: Path, build_cache: Path, repo_name: str,
                                             tmp_path: Path, docker_engine: object) -> None:
    mono = tmp_path / "mono"
    (mono / "services").mkdir(parents=True)
    src = Path(__file__).resolve().parents[2] / "examples" / "nodejs-plain" / "server.js"
    (mono / "services" / "web").mkdir()
    (mono / "services" / "web" / "server.js").write_text(src.read_text().replace("plain node", "tagged v1 node"))
    name = f"mono-{repo_name.split('-')[-1]}"
    url = git_daemon.publish_repo(name, mono)
    git_daemon.tag(name, "v1")
    first_sha = git_daemon.head(name)
    git_daemon.commit_change(name, "services/web/server.js", src.read_text().replace("plain node", "head node"))
    digest_file = tmp_path / "digest"
    run = dockless("build", url, "--revision", "v1", "--subdir", "services/web", "--image",
                   f"{registry.host}/{repo_name}:v1", "--digest-file", str(digest_file),
                   docker_config=docker_config, cache_dir=build_cache)
    assert run.code == 0, run.stderr
    assert digest_file.read_text() == run.last_line.split("@")[1]  # sha256:<hex>, no newline
    assert "tagged v1 node" in run_container(run.last_line, docker_config=docker_config)
    short = dockless("build", url, "--revision", first_sha[:9], "--subdir", "services/web", "--image",
                     f"{registry.host}/{repo_name}:short", docker_config=docker_config, cache_dir=build_cache)
    assert short.code == 0, short.stderr
    assert short.last_line == run.last_line.replace(":v1@", ":short@") or \
        short.last_line.split("@")[1] == run.last_line.split("@")[1]


def test_killed_build_leaves_a_usable_cache_and_concurrent_builds_share_it(publish, registry: Registry,  # type: ignore[no-untyped-def]
                                                                           docker_config: Path, build_cache: Path,
                                                                           repo_name: str, tmp_path: Path) -> None:
    import os

    # a dependency set no other test uses, so the install really runs (and gets killed)
    files = {"package.json": json.dumps({"name": "killme", "dependencies": {"ms": "2.1.2", "is-number": "7.0.0"},
                                         "scripts": {"start": "node index.js"}}),
             "index.js": "require('http').createServer((q, s) => s.end('ok')).listen(process.env.PORT)\n"}
    _, url = publish("kill-app", files)
    env = {**os.environ, "DOCKER_CONFIG": str(docker_config), "DOCKLESS_CACHE_DIR": str(build_cache)}
    proc = subprocess.Popen([sys.executable, "-m", "builder", "build", url, "--image",
                             f"{registry.host}/{repo_name}:killed", "--verbose"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, start_new_session=True)
    assert proc.stderr is not None
    deadline = time.monotonic() + 600
    killed_at = ""
    for line in proc.stderr:
        if "npm install" in line or "npm ci" in line or time.monotonic() > deadline:
            killed_at = line
            break
    # the kill must land during the install, or the test proves nothing about a killed build
    assert ("npm install" in killed_at or "npm ci" in killed_at) and proc.poll() is None, killed_at
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert registry.tags(repo_name) == []

    runs = [subprocess.Popen([sys.executable, "-m", "builder", "build", url, "--image",
                              f"{registry.host}/{repo_name}:{tag}"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
            for tag in ("a", "b")]
    outs = [p.communicate(timeout=900) for p in runs]
    assert [p.returncode for p in runs] == [0, 0], [o[1][-2000:] for o in outs]
    digests = {o[0].strip().splitlines()[-1].split("@")[1] for o in outs}
    assert len(digests) == 1
    assert registry.tags(repo_name) == ["a", "b"]


def test_sigterm_reaches_the_app(publish, registry: Registry, docker_config: Path,  # type: ignore[no-untyped-def]
                                 build_cache: Path, repo_name: str, docker_engine: object) -> None:
    """The start command runs node as PID 1, so `docker stop` ends the app by SIGTERM (exit 0), not SIGKILL (137)."""
    from tests.infra.docker_engine import serve_then_stop

    _, url = publish("nodejs-express")
    run = dockless("build", url, "--image", f"{registry.host}/{repo_name}:v1",
                   docker_config=docker_config, cache_dir=build_cache)
    assert run.code == 0, run.stderr
    body, exit_code = serve_then_stop(run.last_line, docker_config=docker_config)
    assert "Hello" in body
    assert exit_code == 0  # ended by SIGTERM itself, not killed after the grace period


def test_run_image_from_the_registry_is_mounted_not_uploaded(publish, registry: Registry,  # type: ignore[no-untyped-def]
                                                            docker_config: Path, build_cache: Path, repo_name: str,
                                                            tmp_path: Path, docker_engine: object) -> None:
    """A team publishes the stack once (`stack create`); builds on it reuse its blobs by cross-repo mount."""
    stack_repo = f"{repo_name}-stack"
    made = dockless("stack", "create", "--image", f"{registry.host}/{stack_repo}:1",
                    docker_config=docker_config, cache_dir=build_cache)
    assert made.code == 0, made.stderr
    stack_layers = [x["digest"] for x in json.loads(registry.manifest(stack_repo, "1")[0])["layers"]]

    _, url = publish("nodejs-plain")
    with FaultProxy(registry, rate=0.0) as proxy:
        config = proxy.docker_config_dir(tmp_path / "cfg")
        run = dockless("build", url, "--run-image", f"{proxy.host}/{stack_repo}:1",
                       "--image", f"{proxy.host}/{repo_name}:v1", docker_config=config, cache_dir=build_cache)
        assert run.code == 0, run.stderr
        mounts = [r for r in proxy.stats.records if r.method == "POST" and "mount=" in r.path and r.status == 201]
    digest = run.last_line.split("@")[1]
    layers = [x["digest"] for x in json.loads(registry.manifest(repo_name, digest)[0])["layers"]]
    assert layers[:len(stack_layers)] == stack_layers
    assert len(mounts) >= len(stack_layers)
    pinned = f"{registry.host}/{repo_name}@{digest}"
    assert EXPECTED["nodejs-plain"] in run_container(pinned, docker_config=docker_config)


def test_a_digest_file_that_cannot_be_written_is_refused_before_anything_is_pushed(  # type: ignore[no-untyped-def]
        registry: Registry, docker_config: Path, repo_name: str, tmp_path: Path) -> None:
    """A Tekton step whose results dir is missing must not move the tag and then fail (trial bug)."""
    image = f"{registry.host}/{repo_name}:v1"
    run = dockless("build", str(EXAMPLES / "static-site"), "--image", image, "--digest-file",
                   str(tmp_path / "missing" / "digest"), docker_config=docker_config, cache_dir=tmp_path / "c")
    assert_clean_error(run, 2, "--digest-file", "does not exist")
    assert registry.manifest_digest(repo_name, "v1") is None


def test_a_failed_build_leaves_no_earlier_digest_in_the_digest_file(tmp_path: Path) -> None:
    stale = tmp_path / "digest"
    stale.write_text("sha256:" + "0" * 64)
    empty = tmp_path / "empty"
    empty.mkdir()
    run = dockless("build", str(empty), "--image", f"oci:{tmp_path / 'out'}", "--digest-file", str(stale),
                   cache_dir=tmp_path / "c")
    assert run.code == 4, run.stderr
    assert not stale.exists()
