"""docker-archive inputs as `docker load` takes them (plain, gzip, bzip2, xz, zstd) and the Docker daemon's
refusals as one line with its own reason: the real Docker engine's `docker save` and `docker load`."""

from __future__ import annotations

import bz2
import gzip
import json
import lzma
import subprocess
from pathlib import Path

import pytest

from tests.copy import images
from tests.e2e.cli import assert_clean_error, dockless
from tests.infra.docker_engine import docker


@pytest.fixture(scope="module")
def saved(umoci_busybox: Path, tmp_path_factory: pytest.TempPathFactory, docker_engine: object) -> tuple[Path, str]:
    """`docker save` of an image the daemon holds (loaded by dockless), and that image's config digest."""
    tmp = tmp_path_factory.mktemp("saved")
    run = dockless("copy", f"oci:{umoci_busybox}:latest", "docker-daemon:dockless-e2e/gz:v1", cache_dir=tmp / "c")
    assert run.code == 0, run.stderr
    plain = tmp / "image.tar"
    plain.write_bytes(docker("save", "dockless-e2e/gz:v1").stdout)
    config = dockless("inspect", "--json", f"docker-archive:{plain}", cache_dir=tmp / "c")
    assert config.code == 0, config.stderr
    return plain, json.loads(config.stdout)["config"]["digest"]


@pytest.mark.parametrize(("suffix", "compress"), [
    (".tar.gz", ["gzip", "-c"]),  # `docker save IMG | gzip > image.tar.gz`, by the real gzip
    (".tar.zst", ["zstd", "-q", "-c"]),  # and by the real zstd
    (".tar.bz2", bz2.compress),
    (".tar.xz", lzma.compress),
])  # fmt: skip
def test_compressed_archives_are_read_like_docker_load(saved: tuple[Path, str], tmp_path: Path, suffix: str,
                                                       compress: object) -> None:
    plain, config_digest = saved
    packed = tmp_path / f"image{suffix}"
    if isinstance(compress, list):
        with open(packed, "wb") as sink:
            save = subprocess.Popen(["docker", "save", "dockless-e2e/gz:v1"], stdout=subprocess.PIPE)
            subprocess.run(compress, stdin=save.stdout, stdout=sink, check=True)
            assert save.wait() == 0
    else:
        packed.write_bytes(compress(plain.read_bytes()))  # type: ignore[operator]
    out = tmp_path / "oci"
    run = dockless("copy", f"docker-archive:{packed}", f"oci:{out}:v1", cache_dir=tmp_path / "c")
    assert run.code == 0, run.stderr
    again = dockless("inspect", "--json", f"oci:{out}:v1", cache_dir=tmp_path / "c")
    assert json.loads(again.stdout)["config"]["digest"] == config_digest
    assert not list(packed.parent.glob(".image*"))  # the decompressed temp file is gone


def test_unreadable_archives_say_what_they_are(saved: tuple[Path, str], tmp_path: Path) -> None:
    plain, _ = saved
    zipped = tmp_path / "image.zip"
    zipped.write_bytes(b"PK\x03\x04" + b"\0" * 64)
    assert_clean_error(dockless("inspect", f"docker-archive:{zipped}", cache_dir=tmp_path / "c"), 2,
                       "is a zip file", "unzip it first")
    zstd = tmp_path / "cut.tar.zst"
    whole = subprocess.run(["zstd", "-q", "-c", str(plain)], capture_output=True, check=True).stdout
    zstd.write_bytes(whole[: len(whole) // 2])
    assert_clean_error(dockless("inspect", f"docker-archive:{zstd}", cache_dir=tmp_path / "c"), 2,
                       "zstd-compressed but damaged")
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(gzip.compress(plain.read_bytes())[:5000])
    assert_clean_error(dockless("inspect", f"docker-archive:{cut}", cache_dir=tmp_path / "c"), 2,
                       "gzip-compressed but damaged")
    text = tmp_path / "notes.tar"
    text.write_text("not an archive at all\n" * 100)
    assert_clean_error(dockless("inspect", f"docker-archive:{text}", cache_dir=tmp_path / "c"), 2,
                       "not a readable tar archive", "not gzip, bzip2, xz or zstd")
    gz_text = tmp_path / "notes.tar.gz"
    gz_text.write_bytes(gzip.compress(b"not a tar\n" * 100))
    assert_clean_error(dockless("inspect", f"docker-archive:{gz_text}", cache_dir=tmp_path / "c"), 2,
                       "it is gzip-compressed")


def test_daemon_refusals_are_one_line_with_its_reason(tmp_path: Path, docker_engine: object) -> None:
    layout = tmp_path / "win"
    layout.mkdir()
    blob, diff_id = images.layer_bytes({"hello.txt": b"hi\n"})
    config = {"architecture": "amd64", "os": "windows", "config": {},
              "rootfs": {"type": "layers", "diff_ids": [diff_id]}}
    manifest = {"schemaVersion": 2, "mediaType": images.OCI_MANIFEST,
                "config": {"mediaType": images.OCI_CONFIG, **images._put(layout, images._json(config))},
                "layers": [{"mediaType": images.OCI_LAYER_GZIP, **images._put(layout, blob)}]}
    images._tag(layout, "win", {"mediaType": images.OCI_MANIFEST, **images._put(layout, images._json(manifest))})
    run = dockless("copy", f"oci:{layout}:win", "docker-daemon:dockless-e2e/win:v1", cache_dir=tmp_path / "c")
    assert_clean_error(run, 11, "cannot load windows image on linux", "daemon of that OS")
    assert "start dockerd" not in run.stderr
    # a name Docker would call an invalid reference format is refused before the daemon is asked
    long_name = "docker-daemon:dockless-e2e/" + "a" * 250 + ":v1"
    assert_clean_error(dockless("copy", f"oci:{layout}:win", long_name, cache_dir=tmp_path / "c"), 2,
                       "longer than 255")
    assert_clean_error(dockless("inspect", "docker-daemon:dockless-e2e/absent:v1", cache_dir=tmp_path / "c"), 12,
                       "no image")


def test_zstd_layers_inside_an_archive_are_kept_as_they_are(tmp_path: Path) -> None:
    """As containerd's image store saves them: OCI tar+zstd layers, no manifest in the archive."""
    import hashlib
    import io
    import tarfile

    layer_tar = io.BytesIO()
    with tarfile.open(fileobj=layer_tar, mode="w") as tar:
        info = tarfile.TarInfo("hello.txt")
        info.size = 3
        tar.addfile(info, io.BytesIO(b"hi\n"))
    raw = layer_tar.getvalue()
    blob = subprocess.run(["zstd", "-q", "-c"], input=raw, capture_output=True, check=True).stdout
    diff_id = "sha256:" + hashlib.sha256(raw).hexdigest()

    def archive(name: str, layer: bytes) -> Path:
        config = json.dumps({"architecture": "amd64", "os": "linux",
                             "rootfs": {"type": "layers", "diff_ids": [diff_id]}})
        members = {"manifest.json": json.dumps([{"Config": "config.json", "RepoTags": [], "Layers": ["l.tar.zst"]}]),
                   "config.json": config}
        path = tmp_path / name
        with tarfile.open(path, "w") as tar:
            for member, data in [*((n, d.encode()) for n, d in members.items()), ("l.tar.zst", layer)]:
                info = tarfile.TarInfo(member)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
        return path

    run = dockless("copy", f"docker-archive:{archive('z.tar', blob)}", f"oci:{tmp_path / 'oci'}:v1",
                   cache_dir=tmp_path / "c")
    assert run.code == 0, run.stderr
    shown = json.loads(dockless("inspect", "--json", f"oci:{tmp_path / 'oci'}:v1", cache_dir=tmp_path / "c").stdout)
    assert shown["mediaType"] == "application/vnd.oci.image.manifest.v1+json"
    [layer] = shown["layers"]
    assert (layer["mediaType"], layer["digest"], layer["diffID"]) == (
        "application/vnd.oci.image.layer.v1.tar+zstd", "sha256:" + hashlib.sha256(blob).hexdigest(), diff_id)
    assert_clean_error(dockless("inspect", f"docker-archive:{archive('cut.tar', blob[:-8])}", cache_dir=tmp_path / "c"),
                       2, "is damaged")
