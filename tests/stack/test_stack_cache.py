"""The default stack in the dockless cache: made once, reused, and used offline with a notice."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from builder.errors import StackError
from builder.image.blobs import BlobStore
from builder.stack import default_run_image, open_archive
from builder.stack.debian import Release
from builder.stack.stackcache import ensure, newest
from builder.transport import Context

OFFLINE_MIRROR = "http://127.0.0.1:9/debian"  # the discard port: connection refused


def test_default_run_image_is_made_once_then_reused_and_used_offline(tmp_path: Path) -> None:
    ctx = Context(store=BlobStore(tmp_path))
    notes: list[str] = []
    with httpx.Client(timeout=120) as client:
        first = default_run_image(tmp_path, open_archive(tmp_path, client), ctx, log=notes.append)
        made = sorted((tmp_path / "stacks" / "trixie-amd64").glob("*/stack.json"))
        assert len(made) == 1
        assert any("packages from trixie" in n for n in notes)
        notes.clear()
        again = default_run_image(tmp_path, open_archive(tmp_path, client), ctx, log=notes.append)
        assert again.digest == first.digest
        assert notes == []  # nothing made, nothing downloaded but the Release
        assert sorted((tmp_path / "stacks" / "trixie-amd64").glob("*/stack.json")) == made

        offline = default_run_image(tmp_path, open_archive(tmp_path, client, mirror=OFFLINE_MIRROR), ctx,
                                    log=notes.append)  # fmt: skip
    assert offline.digest == first.digest
    assert len(notes) == 1 and notes[0].startswith("offline: using the cached trixie stack of ")


def test_offline_with_nothing_cached_says_so(tmp_path: Path) -> None:
    with httpx.Client(timeout=10) as client, pytest.raises(StackError, match="cannot be reached") as caught:
        default_run_image(tmp_path, open_archive(tmp_path, client, mirror=OFFLINE_MIRROR), Context(BlobStore(tmp_path)))
    assert "--run-image" in caught.value.hint


def test_concurrent_callers_make_a_stack_once(tmp_path: Path) -> None:
    release = Release("stable", "trixie", "13.1", datetime(2025, 9, 6, tzinfo=UTC), None, ("amd64",), ("main",),
                      True, {})  # fmt: skip
    calls: list[int] = []

    def make(directory: Path) -> None:
        calls.append(1)
        time.sleep(0.3)
        (directory / "rootfs").mkdir()

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: ensure(tmp_path, "k1", release, make), range(4)))
    assert len(calls) == 1
    assert {r.path for r in results} == {tmp_path / "k1"} and (tmp_path / "k1" / "rootfs").is_dir()
    assert not list(tmp_path.glob(".make-*"))


def test_a_failed_make_leaves_nothing_behind(tmp_path: Path) -> None:
    release = Release("stable", "trixie", "13.1", datetime(2025, 9, 6, tzinfo=UTC), None, (), (), True, {})

    def broken(directory: Path) -> None:
        (directory / "half").write_text("x")
        raise StackError("download failed")

    with pytest.raises(StackError):
        ensure(tmp_path, "k2", release, broken)
    assert not (tmp_path / "k2").exists() and not list(tmp_path.glob(".make-*"))
    assert newest(tmp_path) is None
