"""Reproducible layers: same files → same diffID and digest, anywhere, any time."""

from __future__ import annotations

import gzip
import io
import os
import shutil
import tarfile
import time
from pathlib import Path

import pytest

from builder.errors import UsageError
from builder.image.blobs import BlobStore
from builder.image.compress import Codec, GzipWriter
from builder.image.layer import layer_from_dir, layer_from_entries
from builder.image.tarball import DEFAULT_EPOCH, Entry, layer_epoch, safe_members, scan_dir, write_tar


def make_tree(root: Path) -> Path:
    (root / "app" / "lib").mkdir(parents=True)
    (root / "app" / "server.js").write_text("console.log('hi')\n")
    (root / "app" / "run.sh").write_text("#!/bin/sh\necho run\n")
    (root / "app" / "run.sh").chmod(0o755)
    (root / "app" / "lib" / "big.bin").write_bytes(os.urandom(1024) * 9000)  # spans several 4 MiB members
    (root / "app" / "link").symlink_to("server.js")
    os.link(root / "app" / "server.js", root / "app" / "hard.js")
    return root / "app"


def members(blob: bytes) -> list[tarfile.TarInfo]:
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(blob))) as t:
        return t.getmembers()


def test_same_files_in_different_dirs_at_different_times_give_same_digests(tmp_path: Path) -> None:
    a = make_tree(tmp_path / "one")
    b = tmp_path / "two" / "elsewhere" / "app"
    b.parent.mkdir(parents=True)
    time.sleep(1.1)
    shutil.copytree(a, b, symlinks=True)  # new inodes, new mtimes, no shared hard link
    os.unlink(b / "hard.js")
    os.link(b / "server.js", b / "hard.js")
    os.utime(b / "server.js", (1_700_000_000, 1_700_000_000))
    la = layer_from_dir(a, BlobStore(tmp_path / "cache-a"), prefix="workspace", uid=1000, gid=1000)
    lb = layer_from_dir(b, BlobStore(tmp_path / "cache-b"), prefix="workspace", uid=1000, gid=1000)
    assert la.diff_id == lb.diff_id
    assert la.digest == lb.digest
    assert la.size == lb.size


def test_layer_tar_is_normalised(tmp_path: Path) -> None:
    app = make_tree(tmp_path)
    layer = layer_from_dir(app, BlobStore(tmp_path / "c"), prefix="workspace", uid=1000, gid=1001)
    with layer.open() as f:
        blob = f.read()
    assert blob[:10] == b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"  # no file name, mtime 0
    ms = members(blob)
    names = [m.name for m in ms]
    assert names == sorted(names)
    assert names[0] == "workspace"
    for m in ms:
        assert m.mtime == DEFAULT_EPOCH and isinstance(m.mtime, int)
        assert (m.uid, m.gid) == (1000, 1001)
        assert m.uname == "" and m.gname == ""
    by = {m.name: m for m in ms}
    assert by["workspace/link"].issym() and by["workspace/link"].linkname == "server.js"
    # the first path in sorted order carries the bytes, the other is a hard link to it
    assert by["workspace/hard.js"].isreg()
    assert by["workspace/server.js"].islnk() and by["workspace/server.js"].linkname == "workspace/hard.js"
    assert by["workspace/run.sh"].mode == 0o755


def test_source_date_epoch_is_honoured() -> None:
    assert layer_epoch({"SOURCE_DATE_EPOCH": "1234"}) == 1234
    assert layer_epoch({}) == DEFAULT_EPOCH
    with pytest.raises(UsageError):
        layer_epoch({"SOURCE_DATE_EPOCH": "yesterday"})


def test_unchanged_layer_is_not_compressed_twice(tmp_path: Path) -> None:
    app = make_tree(tmp_path)
    store = BlobStore(tmp_path / "c")
    first = layer_from_dir(app, store)
    blob = store.path(first.digest)
    mtime = blob.stat().st_mtime_ns
    second = layer_from_dir(app, store)
    assert second.digest == first.digest
    assert blob.stat().st_mtime_ns == mtime  # reused, not rewritten
    assert store.lookup(first.diff_id, Codec().key) is not None
    assert store.lookup(first.diff_id, Codec(level=1).key) is None  # the codec is part of the key


def test_device_files_are_refused(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo")
    with pytest.raises(UsageError, match="device, FIFO or socket"):
        scan_dir(tmp_path)


@pytest.mark.parametrize("bad", ["../etc/passwd", "a/../../b", ".."])
def test_entries_escaping_the_root_are_refused(tmp_path: Path, bad: str) -> None:
    with pytest.raises(UsageError, match="escapes"):
        layer_from_entries([Entry(bad, data=b"x")], BlobStore(tmp_path))


def _evil_tar(*members: tuple[str, str, str]) -> tarfile.TarFile:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        for name, kind, link in members:
            ti = tarfile.TarInfo(name)
            if kind == "sym":
                ti.type, ti.linkname = tarfile.SYMTYPE, link
                t.addfile(ti)
            elif kind == "hard":
                ti.type, ti.linkname = tarfile.LNKTYPE, link
                t.addfile(ti)
            else:
                ti.size = 1
                t.addfile(ti, io.BytesIO(b"x"))
    buf.seek(0)
    return tarfile.open(fileobj=buf)


@pytest.mark.parametrize("members_", [
    [("../escape", "file", "")],
    [("a/../../b", "file", "")],
    [("ok", "hard", "../../etc/shadow")],
    [("lnk", "sym", "/etc"), ("lnk/passwd", "file", "")],
])
def test_untrusted_tar_entries_that_escape_are_refused(members_: list[tuple[str, str, str]]) -> None:
    with pytest.raises(UsageError):
        list(safe_members(_evil_tar(*members_)))


def test_absolute_symlinks_inside_an_archive_are_fine() -> None:
    names = [m.name for m in safe_members(_evil_tar(("usr/bin/x", "sym", "/etc/alternatives/x"), ("etc/a", "file", "")))]
    assert names == ["usr/bin/x", "etc/a"]


def test_parallel_gzip_is_valid_and_independent_of_thread_count(tmp_path: Path) -> None:
    data = os.urandom(1_000_000) * 9 + b"tail" * 1_000_000  # three 4 MiB members
    outs = []
    for workers in (1, 2, 4):
        buf = io.BytesIO()
        w = GzipWriter(buf, workers=workers)
        for i in range(0, len(data), 700_000):
            w.write(data[i:i + 700_000])
        w.close()
        outs.append(buf.getvalue())
    assert outs[0] == outs[1] == outs[2]
    assert gzip.decompress(outs[0]) == data


def test_write_tar_adds_parents_and_orders_hardlinks(tmp_path: Path) -> None:
    buf = io.BytesIO()
    write_tar([Entry("a/b/c.txt", data=b"hi"), Entry("a/z.txt", "hardlink", link="a/b/c.txt")], buf)
    buf.seek(0)
    with tarfile.open(fileobj=buf) as t:
        assert [m.name for m in t.getmembers()] == ["a", "a/b", "a/b/c.txt", "a/z.txt"]
    with pytest.raises(UsageError, match="hard link"):
        write_tar([Entry("a.txt", "hardlink", link="missing.txt"), Entry("z.txt", data=b"")], io.BytesIO())


def test_a_hard_link_that_sorts_before_its_file_becomes_the_file(tmp_path: Path) -> None:
    """node-gyp leaves build/Release/x.a hard-linked as build/Release/obj.target/deps/x.a: scan_dir meets
    the shallower path first, the sorted stream the deeper one; tar needs the file before its links."""
    release = tmp_path / "build" / "Release"
    (release / "obj.target" / "deps").mkdir(parents=True)
    (release / "x.a").write_bytes(b"static library")
    os.link(release / "x.a", release / "obj.target" / "deps" / "x.a")
    os.link(release / "x.a", release / "y.a")
    buf = io.BytesIO()
    write_tar(scan_dir(tmp_path), buf)
    buf.seek(0)
    with tarfile.open(fileobj=buf) as t:
        members = {m.name: m for m in t.getmembers()}
        first = members["build/Release/obj.target/deps/x.a"]
        assert first.isfile() and t.extractfile(first).read() == b"static library"  # type: ignore[union-attr]
        for other in ("build/Release/x.a", "build/Release/y.a"):
            assert members[other].islnk() and members[other].linkname == "build/Release/obj.target/deps/x.a"
        t.extractall(tmp_path / "out", filter="data")
    assert (tmp_path / "out/build/Release/y.a").read_bytes() == b"static library"
