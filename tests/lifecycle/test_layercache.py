"""The layer cache: atomic commits, first commit wins, and memos only for immutable entries."""

from __future__ import annotations

import shutil
from pathlib import Path

from builder.image.blobs import BlobStore
from builder.image.mutate import scratch
from builder.lifecycle.build import GroupResult, OwnedLayer
from builder.lifecycle.contract import BuiltLayer, Process
from builder.lifecycle.export import Provenance, export
from builder.lifecycle.layercache import DirLayerCache

META = {"version": "1.2.3", "arch": "amd64"}


def fill(cache: DirLayerCache, content: str) -> Path:
    d = cache.create("bp", "tool")
    (d / "bin").mkdir()
    (d / "bin" / "tool").write_text(content)
    return d


def test_commit_is_atomic_and_the_first_commit_wins(tmp_path: Path) -> None:
    cache = DirLayerCache(tmp_path)
    assert cache.restore("bp", "tool", META) is None
    first = cache.commit("bp", "tool", META, fill(cache, "one"))
    second = cache.commit("bp", "tool", META, fill(cache, "two"))  # a concurrent build, same key
    assert first == second == cache.restore("bp", "tool", META)
    assert (first / "bin" / "tool").read_text() == "one"
    assert not list((tmp_path / "bp" / "tool").glob(".tmp-*"))  # the loser's copy is gone
    assert cache.restore("bp", "tool", {**META, "version": "9"}) is None


def test_memos_only_for_committed_entries(tmp_path: Path) -> None:
    cache = DirLayerCache(tmp_path)
    unfinished = fill(cache, "x")
    cache.remember(unfinished, "k", {"digest": "d"})
    assert cache.recall(unfinished, "k") is None            # may still change: nothing remembered
    entry = cache.commit("bp", "tool", META, unfinished)
    cache.remember(entry, "k", {"digest": "d"})
    assert cache.recall(entry, "k") == {"digest": "d", "key": "k"}
    assert cache.recall(entry, "other") is None
    assert cache.recall(tmp_path / "elsewhere", "k") is None
    assert cache.restore("bp", "tool", META) == entry       # memo files are not entries


def test_export_reuses_a_cached_layer_without_reading_it_again(tmp_path: Path) -> None:
    cache = DirLayerCache(tmp_path / "layers")
    store = BlobStore(tmp_path / "store")
    entry = cache.commit("bp", "tool", META, fill(cache, "binary"))
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / "app.js").write_text("1")
    layer = BuiltLayer("tool", entry, "/layers/bp/tool", cache=True, metadata=META)
    result = GroupResult(("bp",), (OwnedLayer("bp", layer),), (Process("web", ["/layers/bp/tool/bin/tool"], default=True),), ())

    def run() -> str:
        image, exported = export(scratch(), result, workspace, never_ship=frozenset(), store=store, epoch=0,
                                 created=0, provenance=Provenance(), memo=cache)
        return str(exported[0].layer.digest)

    first = run()
    shutil.rmtree(entry / "bin")        # were the directory read again, the digest would change
    assert run() == first
