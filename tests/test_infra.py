"""Proof that the test infrastructure is real: each fixture is exercised against real tools."""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import UMOCI_HELLO, UMOCI_HTTPD_BODY
from tests.infra.docker_engine import (DockerEngine, docker, docker_login, docker_pull,
                                       docker_rmi, docker_run_output, run_container)
from tests.infra.faultproxy import FORWARDED, FaultProxy
from tests.infra.gitdaemon import GitDaemon
from tests.infra.oci import skopeo_copy, skopeo_inspect
from tests.infra.procs import run
from tests.infra.registry import Registry, basic_auth, http_request


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _upload_monolithic(reg: Registry, repo: str, data: bytes) -> str:
    """POST + PUT ?digest= with raw urllib, so fixtures are checked without dockless code."""
    start = reg.request("POST", f"/v2/{repo}/blobs/uploads/")
    assert start.status == 202, start.body
    location = start.headers["Location"]
    assert location.startswith(reg.url), location  # absolute, on the host we talked to
    digest = _digest(data)
    sep = "&" if "?" in location else "?"
    done = reg.request("PUT", location[len(reg.url):] + f"{sep}digest={digest}", data=data,
                       headers={"Content-Type": "application/octet-stream"})
    assert done.status == 201, done.body
    return digest


# --- registry ---------------------------------------------------------------------------

def test_registry_rejects_wrong_password_and_accepts_right_one(registry: Registry) -> None:
    anon = http_request(registry.url + "/v2/")
    assert anon.status == 401
    assert anon.headers["WWW-Authenticate"].startswith("Basic realm=")
    wrong = http_request(registry.url + "/v2/", headers={
        "Authorization": "Basic " + basic_auth(registry.username or "", "not-the-password")})
    assert wrong.status == 401
    assert registry.request("GET", "/v2/").status == 200


def test_registry_noauth_is_open(registry_noauth: Registry) -> None:
    assert registry_noauth.creds is None
    assert http_request(registry_noauth.url + "/v2/").status == 200


def test_registry_blob_helpers_and_delete(registry: Registry, repo_name: str) -> None:
    data = b"dockless infra blob\n"
    digest = _upload_monolithic(registry, repo_name, data)
    assert registry.blob_exists(repo_name, digest)
    assert registry.blob(repo_name, digest) == data
    assert not registry.blob_exists(repo_name, _digest(b"something else"))
    assert registry.tags(repo_name) == []  # blobs alone make no tags
    assert registry.request("DELETE", f"/v2/{repo_name}/blobs/{digest}").status == 202
    assert not registry.blob_exists(repo_name, digest)


def test_docker_config_holds_base64_credentials(registry: Registry, docker_config: Path) -> None:
    doc = json.loads((docker_config / "config.json").read_text())
    auth = base64.b64decode(doc["auths"][registry.host]["auth"]).decode()
    assert auth == f"{registry.username}:{registry.password}"


# --- umoci + skopeo + docker ------------------------------------------------------------

def test_umoci_image_is_a_valid_oci_layout(umoci_busybox: Path) -> None:
    index = json.loads((umoci_busybox / "index.json").read_text())
    tags = {m["annotations"]["org.opencontainers.image.ref.name"] for m in index["manifests"]}
    assert tags == {"latest", "httpd"}
    info = skopeo_inspect(f"oci:{umoci_busybox}:latest")
    assert info["Architecture"] == "amd64" and info["Os"] == "linux"
    assert len(info["Layers"]) == 1
    config = skopeo_inspect(f"oci:{umoci_busybox}:latest", config=True)
    assert config["config"]["Cmd"] == ["/bin/sh", "-c", f"echo {UMOCI_HELLO}"]


@pytest.fixture
def pushed_busybox(registry: Registry, umoci_busybox: Path, repo_name: str,
                   docker_engine: DockerEngine) -> Iterator[str]:
    """The umoci image copied into the authenticated registry by skopeo: `HOST/REPO:v1`."""
    ref = f"{registry.host}/{repo_name}:v1"
    skopeo_copy(f"oci:{umoci_busybox}:latest", f"docker://{ref}", dest_creds=registry.creds)
    yield ref
    docker_rmi(ref)


def test_skopeo_push_lands_in_registry(registry: Registry, pushed_busybox: str,
                                       repo_name: str) -> None:
    assert registry.tags(repo_name) == ["v1"]
    info = skopeo_inspect(f"docker://{pushed_busybox}", creds=registry.creds)
    assert registry.manifest_digest(repo_name, "v1") == info["Digest"]
    raw, media_type, digest = registry.manifest(repo_name, "v1")
    assert digest == info["Digest"] == _digest(raw)
    manifest = json.loads(raw)
    assert media_type == "application/vnd.oci.image.manifest.v1+json"
    assert "mediaType" not in manifest  # umoci 0.4 omits it: readers must cope
    for blob in [manifest["config"], *manifest["layers"]]:
        assert registry.blob_exists(repo_name, blob["digest"])
    with pytest.raises(RuntimeError):  # wrong credentials are refused by the real registry
        skopeo_inspect(f"docker://{pushed_busybox}", creds=f"{registry.username}:nope")


def test_docker_pulls_with_credentials_and_runs_umoci_image(
        registry: Registry, pushed_busybox: str, repo_name: str, docker_config: Path,
        tmp_path: Path) -> None:
    empty = tmp_path / "no-creds"
    empty.mkdir()
    refused = docker("pull", pushed_busybox, docker_config=empty, check=False)
    assert refused.returncode != 0
    assert b"no basic auth credentials" in refused.stderr or b"unauthorized" in refused.stderr

    docker_pull(pushed_busybox, docker_config=docker_config)
    assert docker_run_output(pushed_busybox).strip() == UMOCI_HELLO
    by_digest = f"{registry.host}/{repo_name}@{registry.manifest_digest(repo_name, 'v1')}"
    out = docker_run_output(by_digest, "/bin/sh", "-c", 'echo "$GREETING"',
                            env={"GREETING": "hi there"}, docker_config=docker_config)
    assert out == "hi there\n"
    docker_rmi(by_digest)


def test_docker_login_password_stdin(registry: Registry, docker_engine: DockerEngine,
                                     tmp_path: Path) -> None:
    config_dir = docker_login(registry, tmp_path / "login")
    doc = json.loads((config_dir / "config.json").read_text())
    assert registry.host in doc["auths"]
    bad = docker("login", "--username", registry.username or "", "--password-stdin",
                 registry.host, docker_config=tmp_path / "bad", input=b"wrong", check=False)
    assert bad.returncode != 0


def test_run_container_answers_on_port(registry: Registry, umoci_busybox: Path, repo_name: str,
                                       docker_engine: DockerEngine, docker_config: Path) -> None:
    ref = f"{registry.host}/{repo_name}:httpd"
    skopeo_copy(f"oci:{umoci_busybox}:httpd", f"docker://{ref}", dest_creds=registry.creds)
    try:
        assert run_container(ref, docker_config=docker_config) == UMOCI_HTTPD_BODY
    finally:
        docker_rmi(ref)


# --- git daemon -------------------------------------------------------------------------

def test_git_daemon_clone_commit_and_reproducible_shas(git_daemon: GitDaemon,
                                                       tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "lib").mkdir(parents=True)
    (src / "package.json").write_text('{"name": "app"}\n')
    (src / "lib" / "index.js").write_text("console.log('hi')\n")
    url = git_daemon.publish_repo("app-a", src)
    assert url == f"git://127.0.0.1:{git_daemon.port}/app-a.git"
    git_daemon.publish_repo("app-b", src)
    assert git_daemon.head("app-a") == git_daemon.head("app-b")  # fixed identity and dates

    clone = tmp_path / "clone"
    run(["git", "clone", "--quiet", url, str(clone)])
    assert (clone / "lib" / "index.js").read_text() == "console.log('hi')\n"
    assert run(["git", "-C", str(clone), "rev-parse", "HEAD"]).stdout.decode().strip() \
        == git_daemon.head("app-a")

    sha = git_daemon.commit_change("app-a", "README.md", "# app\n")
    git_daemon.tag("app-a", "v1.0.0")
    remote = run(["git", "ls-remote", url]).stdout.decode()
    assert f"{sha}\trefs/heads/main" in remote
    assert f"{sha}\trefs/tags/v1.0.0" in remote
    run(["git", "-C", str(clone), "pull", "--quiet"])
    assert (clone / "README.md").read_text() == "# app\n"


# --- fault proxy ------------------------------------------------------------------------

def _outcome(proxy: FaultProxy, registry: Registry) -> str:
    """How a plain client experiences one authenticated GET /v2/ through the proxy."""
    try:
        resp = http_request(proxy.url + "/v2/", headers={
            "Authorization": "Basic " + basic_auth(registry.username or "",
                                                   registry.password or "")})
    except (OSError, http.client.HTTPException):
        return "reset"
    if resp.status == 429:
        assert resp.headers["Retry-After"] == "0"
    return str(resp.status)


def test_faultproxy_injects_faults_at_configured_rate(faulty_registry: FaultProxy,
                                                      registry: Registry) -> None:
    faulty_registry.configure(rate=0.3, kinds=("500", "429", "reset"), seed=42)
    seen = [_outcome(faulty_registry, registry) for _ in range(400)]
    counts = faulty_registry.stats.counts
    assert counts["forwarded"] == seen.count("200")
    for kind in ("500", "429", "reset"):
        assert counts[kind] == seen.count(kind) > 0
    assert 0.22 < faulty_registry.stats.faults / 400 < 0.38

    with FaultProxy(registry, rate=0.3, seed=42) as again:  # same seed, same sequence
        assert [_outcome(again, registry) for _ in range(400)] == seen


def test_faultproxy_passes_auth_and_streams_chunked_uploads(faulty_registry: FaultProxy,
                                                            registry: Registry,
                                                            repo_name: str) -> None:
    faulty_registry.configure(rate=0.0)
    anon = http_request(faulty_registry.url + "/v2/")
    assert anon.status == 401 and anon.headers["WWW-Authenticate"].startswith("Basic")

    via = faulty_registry.registry
    start = via.request("POST", f"/v2/{repo_name}/blobs/uploads/")
    assert start.status == 202
    location = start.headers["Location"]
    assert location.startswith(f"http://{faulty_registry.host}/v2/{repo_name}/blobs/uploads/")

    chunks = [bytes([i]) * 700_000 for i in range(5)]
    data = b"".join(chunks)
    conn = http.client.HTTPConnection(faulty_registry.host, timeout=60)
    conn.request("PATCH", location[len(via.url):], body=iter(chunks), encode_chunked=True,
                 headers={"Authorization": "Basic " + basic_auth(via.username or "",
                                                                 via.password or ""),
                          "Content-Type": "application/octet-stream"})
    patched = conn.getresponse()
    patched.read()
    assert patched.status == 202, patched.status
    assert patched.getheader("Range") == f"0-{len(data) - 1}"
    next_location = patched.getheader("Location") or ""
    assert next_location.startswith(faulty_registry.url)
    conn.close()

    digest = _digest(data)
    done = via.request("PUT", next_location[len(via.url):] + f"&digest={digest}")
    assert done.status == 201, done.body
    assert registry.blob(repo_name, digest) == data  # checked directly, not via the proxy
    assert via.blob(repo_name, digest) == data  # streamed back through the proxy
    assert via.blob_exists(repo_name, digest)  # HEAD: headers, no body
    assert set(faulty_registry.stats.counts) == {FORWARDED}


def test_faultproxy_drop_lets_registry_act_but_loses_response(faulty_registry: FaultProxy,
                                                              registry: Registry,
                                                              repo_name: str) -> None:
    faulty_registry.configure(rate=0.0, methods={"PUT"})
    faulty_registry.fail_next("drop")
    data = b"uploaded, but the client never hears about it"
    with pytest.raises((OSError, http.client.HTTPException)):
        _upload_monolithic(faulty_registry.registry, repo_name, data)
    assert registry.blob_exists(repo_name, _digest(data))
    assert [r.outcome for r in faulty_registry.stats.records] == [FORWARDED, "drop"]
    assert faulty_registry.stats.records[1].status == 201


def test_real_clients_work_through_the_proxy(faulty_registry: FaultProxy, registry: Registry,
                                             umoci_busybox: Path, repo_name: str,
                                             docker_engine: DockerEngine,
                                             tmp_path: Path) -> None:
    faulty_registry.configure(rate=0.0)
    ref = f"{faulty_registry.host}/{repo_name}:v1"
    skopeo_copy(f"oci:{umoci_busybox}:latest", f"docker://{ref}", dest_creds=registry.creds)
    assert registry.tags(repo_name) == ["v1"]
    config_dir = faulty_registry.docker_config_dir(tmp_path / "docker")
    try:
        assert docker_run_output(ref, docker_config=config_dir).strip() == UMOCI_HELLO
    finally:
        docker_rmi(ref)
    assert faulty_registry.stats.counts[FORWARDED] == faulty_registry.stats.total > 5


def test_scripts_are_valid_bash() -> None:
    root = Path(__file__).resolve().parent.parent
    for script in (".ci/run", "scripts/test", "scripts/setup-system"):
        path = root / script
        assert path.stat().st_mode & 0o111, f"{script} is not executable"
        subprocess.run([shutil.which("bash") or "/bin/bash", "-n", str(path)], check=True)
