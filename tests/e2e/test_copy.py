"""`dockless copy` / `inspect` across all four media, checked by skopeo, umoci and Docker."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from tests.conftest import UMOCI_HELLO
from tests.e2e.cli import assert_clean_error, dockless
from tests.infra.docker_engine import docker, docker_run_output
from tests.infra.faultproxy import FaultProxy
from tests.infra.oci import skopeo_inspect
from tests.infra.registry import Registry


def umoci_digest(layout: Path, tag: str) -> str:
    index = json.loads((layout / "index.json").read_text())
    return next(m["digest"] for m in index["manifests"]
                if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag)


def test_oci_to_registry_to_oci_keeps_the_digest(umoci_busybox: Path, registry: Registry, docker_config: Path,
                                                 repo_name: str, tmp_path: Path, docker_engine: object) -> None:
    original = umoci_digest(umoci_busybox, "latest")
    dest = f"{registry.host}/{repo_name}:v1"
    push = dockless("copy", f"oci:{umoci_busybox}:latest", dest, docker_config=docker_config, cache_dir=tmp_path / "c")
    assert push.code == 0, push.stderr
    assert push.last_line == f"{registry.host}/{repo_name}@{original}"
    assert registry.manifest_digest(repo_name, "v1") == original
    assert skopeo_inspect(f"docker://{dest}", registry.creds)["Digest"] == original

    back = tmp_path / "back"
    pull = dockless("copy", dest, f"oci:{back}:again", docker_config=docker_config, cache_dir=tmp_path / "c2")
    assert pull.code == 0, pull.stderr
    assert umoci_digest(back, "again") == original
    unpacked = tmp_path / "bundle"
    subprocess.run(["umoci", "unpack", "--image", f"{back}:again", str(unpacked)], check=True, capture_output=True)
    assert (unpacked / "rootfs" / "bin" / "busybox").is_file()

    assert UMOCI_HELLO in docker_run_output(push.last_line, docker_config=docker_config)


def test_docker_archive_loads_and_runs(umoci_busybox: Path, tmp_path: Path, docker_engine: object) -> None:
    archive = tmp_path / "img.tar"
    run = dockless("copy", f"oci:{umoci_busybox}:latest", f"docker-archive:{archive}:dockless-e2e/archive:v1",
                   cache_dir=tmp_path / "c")
    assert run.code == 0, run.stderr
    loaded = docker("load", "-i", str(archive)).stdout.decode()
    assert "dockless-e2e/archive:v1" in loaded
    assert UMOCI_HELLO in docker_run_output("dockless-e2e/archive:v1", pull="never")
    # reading the archive back keeps the manifest digest
    again = dockless("inspect", "--json", f"docker-archive:{archive}", cache_dir=tmp_path / "c")
    assert json.loads(again.stdout)["digest"] == umoci_digest(umoci_busybox, "latest")


def test_daemon_destination_and_inspect_everywhere(umoci_busybox: Path, registry: Registry, docker_config: Path,
                                                   repo_name: str, tmp_path: Path, docker_engine: object) -> None:
    cache = tmp_path / "c"
    run = dockless("copy", f"oci:{umoci_busybox}:httpd", "docker-daemon:dockless-e2e/daemon:v1", cache_dir=cache)
    assert run.code == 0, run.stderr
    digest = umoci_digest(umoci_busybox, "httpd")
    assert run.last_line == "dockless-e2e/daemon:v1"  # what `docker run` takes: Docker keeps no manifest digest
    image_id = docker("image", "inspect", "--format", "{{.Id}}", run.last_line).stdout.decode().strip()
    assert f"image ID {image_id}" in run.stderr and digest.split(":")[1][:12] in run.stderr
    pinned = dockless("inspect", "--json", f"docker-daemon:dockless-e2e/daemon:v1@{image_id}", cache_dir=cache)
    assert pinned.code == 0, pinned.stderr  # the image ID the notice gives pins it back
    dest = f"{registry.host}/{repo_name}:httpd"
    assert dockless("copy", f"oci:{umoci_busybox}:httpd", dest, docker_config=docker_config, cache_dir=cache).code == 0
    archive = tmp_path / "a.tar"
    assert dockless("copy", f"oci:{umoci_busybox}:httpd", f"docker-archive:{archive}", cache_dir=cache).code == 0
    seen = {}
    for ref in (f"oci:{umoci_busybox}:httpd", dest, f"docker-archive:{archive}", "docker-daemon:dockless-e2e/daemon:v1"):
        r = dockless("inspect", "--json", ref, docker_config=docker_config, cache_dir=cache)
        assert r.code == 0, (ref, r.stderr)
        seen[ref] = json.loads(r.stdout)
    configs = {d["config"]["digest"] for d in seen.values()}
    assert len(configs) == 1  # the same image everywhere
    for d in seen.values():
        assert d["platform"] == "linux/amd64"
        assert d["cmd"][:2] == ["/bin/sh", "-c"]
        assert len(d["layers"]) == 1
    human = dockless("inspect", dest, docker_config=docker_config, cache_dir=cache)
    assert f"Digest:       {digest}" in human.stdout


def test_wrong_password_is_a_clean_error_and_nothing_is_tagged(umoci_busybox: Path, registry: Registry,
                                                               repo_name: str, tmp_path: Path) -> None:
    from tests.infra.registry import write_docker_config

    bad = write_docker_config(tmp_path / "bad", {registry.host: (registry.username, "Nope-S3cr3t-9z")})
    run = dockless("copy", f"oci:{umoci_busybox}:latest", f"{registry.host}/{repo_name}:v1",
                   docker_config=bad, cache_dir=tmp_path / "c")
    assert_clean_error(run, 9, registry.host)
    assert "Nope-S3cr3t-9z" not in run.stderr
    assert registry.tags(repo_name) == []


def test_bad_input_errors(umoci_busybox: Path, registry: Registry, docker_config: Path, repo_name: str,
                          tmp_path: Path) -> None:
    cache = tmp_path / "c"
    assert_clean_error(dockless("copy", "Not A Ref", "oci:x", cache_dir=cache), 2, "not a valid image reference")
    assert_clean_error(dockless("inspect", f"{registry.host}/{repo_name}:missing", docker_config=docker_config,
                                cache_dir=cache), 12)
    assert_clean_error(dockless("inspect", "127.0.0.1:1/nothing/here:v1", cache_dir=cache), 10)
    assert_clean_error(dockless("copy", f"oci:{umoci_busybox}:latest", "docker-daemon:x:y", cache_dir=cache,
                                env={"DOCKER_HOST": "unix:///nonexistent/docker.sock"}), 11, "Docker daemon")
    assert_clean_error(dockless("inspect", f"oci:{tmp_path}/nope", cache_dir=cache), 12)
    blocker = tmp_path / "a-file"
    blocker.write_text("a file, not a directory")
    assert_clean_error(dockless("copy", f"oci:{umoci_busybox}:latest", f"oci:{blocker}/out", cache_dir=cache), 8,
                       "cannot write the OCI layout", "Not a directory")
    assert_clean_error(dockless("copy", f"oci:{umoci_busybox}:latest", f"docker-archive:{tmp_path}", cache_dir=cache),
                       8, "cannot write the docker-archive", "Is a directory")


def test_copy_through_a_faulty_network_completes(umoci_busybox: Path, registry: Registry,
                                                 faulty_registry: FaultProxy, repo_name: str, tmp_path: Path) -> None:
    config = faulty_registry.docker_config_dir(tmp_path / "cfg")
    original = umoci_digest(umoci_busybox, "httpd")
    run = dockless("copy", f"oci:{umoci_busybox}:httpd", f"{faulty_registry.host}/{repo_name}:v1",
                   docker_config=config, cache_dir=tmp_path / "c")
    assert run.code == 0, run.stderr
    assert faulty_registry.stats.faults > 0
    assert registry.manifest_digest(repo_name, "v1") == original
    manifest, _, _ = registry.manifest(repo_name, "v1")
    for layer in json.loads(manifest)["layers"]:
        assert registry.blob_exists(repo_name, layer["digest"])
    shutil.rmtree(tmp_path / "c")
