"""builder.image.decompress against the real compressors (gzip, bzip2, xz, zstd CLIs), and the launch
check reading a run image whose layer is OCI `tar+zstd`, as containerd-built images have."""

from __future__ import annotations

import hashlib
import io
import subprocess
import tarfile
from pathlib import Path

import pytest

from builder.image import decompress
from builder.image.digest import Digest
from builder.image.image import image_from_config
from builder.image.layer import Layer
from builder.image.media import OCI_LAYER_ZSTD, OCI_MANIFEST, Descriptor
from builder.lifecycle.build import GroupResult
from builder.lifecycle.launchcheck import ImageFiles

TEXT = b"dockless reads every frame\n" * 5000

TOOLS = {"gzip": ["gzip", "-c"], "bzip2": ["bzip2", "-c"], "xz": ["xz", "-c"], "zstd": ["zstd", "-q", "-c"]}


def packed(kind: str, data: bytes) -> bytes:
    return subprocess.run(TOOLS[kind], input=data, capture_output=True, check=True).stdout


@pytest.mark.parametrize("kind", ["gzip", "bzip2", "xz", "zstd"])
def test_each_kind_is_sniffed_and_read_across_members(kind: decompress.Kind) -> None:
    # two streams back to back: our gzip layers are multi-member, zstd writers may write several frames
    data = packed(kind, TEXT[:70000]) + packed(kind, TEXT[70000:])
    assert decompress.sniff(data[:6]) == kind
    with decompress.reader(io.BytesIO(data), kind) as raw:
        assert raw.read() == TEXT


def test_plain_data_is_none_and_passes_through() -> None:
    assert decompress.sniff(b"usr/\0\0") == "none"
    source = io.BytesIO(TEXT)
    assert decompress.reader(source, "none") is source


@pytest.mark.parametrize("kind", ["gzip", "xz", "zstd"])
def test_damaged_streams_raise_what_damaged_names(kind: decompress.Kind) -> None:
    whole = packed(kind, TEXT)
    cut = whole[: len(whole) // 2]
    with pytest.raises(decompress.DAMAGED), decompress.reader(io.BytesIO(cut), kind) as raw:
        raw.read()


def test_the_launch_check_lists_a_zstd_run_image_layer(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data in (("usr/bin/server", b"#!/bin/sh\n"), ("etc/os-release", b"ID=test\n")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    raw = buffer.getvalue()
    blob = packed("zstd", raw)
    layer = Layer(Descriptor(OCI_LAYER_ZSTD, Digest.of(blob), len(blob)),
                  Digest("sha256", hashlib.sha256(raw).hexdigest()), lambda: io.BytesIO(blob))
    config = b'{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["%s"]}}' % \
        str(layer.diff_id).encode()
    run_image = image_from_config(config, [layer], OCI_MANIFEST)
    files = ImageFiles(run_image, GroupResult((), (), (), ()), tmp_path)
    assert files.exists("/usr/bin/server") and files.exists("/etc/os-release")
    assert not files.exists("/usr/bin/absent")
