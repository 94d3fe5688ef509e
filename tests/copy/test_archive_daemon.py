"""docker-archive inputs as `docker load` takes them (plain, gzip, bzip2, xz) and the Docker daemon's
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
    (".tar.gz", None),  # `docker save IMG | gzip > image.tar.gz`, by the real gzip
    (".tar.bz2", bz2.compress),
    (".tar.xz", lzma.compress),
])  # fmt: skip
def test_compressed_archives_are_read_like_docker_load(saved: tuple[Path, str], tmp_path: Path, suffix: str,
                                                       compress: object) -> None:
    plain, config_digest = saved
    packed = tmp_path / f"image{suffix}"
    if compress is None:
        with open(packed, "wb") as sink:
            save = subprocess.Popen(["docker", "save", "dockless-e2e/gz:v1"], stdout=subprocess.PIPE)
            subprocess.run(["gzip", "-c"], stdin=save.stdout, stdout=sink, check=True)
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
    zstd = tmp_path / "image.tar.zst"
    zstd.write_bytes(b"\x28\xb5\x2f\xfd" + b"\0" * 64)
    assert_clean_error(dockless("inspect", f"docker-archive:{zstd}", cache_dir=tmp_path / "c"), 2,
                       "zstd-compressed", "decompress it first")
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


def test_a_zstd_layer_inside_an_archive_is_named(tmp_path: Path) -> None:
    import io
    import tarfile

    archive = tmp_path / "z.tar"
    config = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers",
                                                                            "diff_ids": ["sha256:" + "0" * 64]}})
    members = {"manifest.json": json.dumps([{"Config": "config.json", "RepoTags": [], "Layers": ["l.tar.zst"]}]),
               "config.json": config}
    with tarfile.open(archive, "w") as tar:
        for name, data in [*((n, d.encode()) for n, d in members.items()),
                           ("l.tar.zst", b"\x28\xb5\x2f\xfd" + b"\0" * 32)]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    assert_clean_error(dockless("inspect", f"docker-archive:{archive}", cache_dir=tmp_path / "c"), 2,
                       "'l.tar.zst' in the archive is zstd-compressed")
