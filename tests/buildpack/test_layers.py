"""cached_layer and friends on the production DirLayerCache: reuse, commit, and nothing half-made."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from builder.buildpack.layers import cached_layer, cached_layers, new_layer
from builder.lifecycle.layercache import DirLayerCache

BP = "ruby"


def writes(name: str, text: str) -> Callable[[Path], None]:
    """A fill that writes one file."""
    def fill(path: Path) -> None:
        (path / name).write_text(text)
    return fill


def entries(cache: DirLayerCache) -> tuple[list[str], list[str]]:
    """(committed '<layer>/<key>' entries, leftover temp dirs) under the buildpack."""
    committed = sorted(p.relative_to(cache.root / BP).as_posix() for p in (cache.root / BP).glob("*/*")
                       if p.is_dir() and not p.name.startswith("."))
    temps = sorted(p.name for p in (cache.root / BP).glob("*/.tmp-*"))
    return committed, temps


def test_a_miss_fills_and_commits_then_a_hit_reuses_without_filling(tmp_path: Path) -> None:
    cache = DirLayerCache(tmp_path)
    calls: list[Path] = []

    def fill(path: Path) -> None:
        calls.append(path)
        (path / "bin").mkdir()
        (path / "bin" / "ruby").write_text("#!/bin/sh\n")

    path, reused = cached_layer(cache, BP, "runtime", {"version": "3.3.0"}, fill)
    assert not reused and len(calls) == 1 and calls[0] != path  # filled elsewhere, then renamed into place
    assert (path / "bin" / "ruby").read_text() == "#!/bin/sh\n"
    assert cache.restore(BP, "runtime", {"version": "3.3.0"}) == path

    again, reused = cached_layer(cache, BP, "runtime", {"version": "3.3.0"}, fill)
    assert (again, reused) == (path, True) and len(calls) == 1

    other, reused = cached_layer(cache, BP, "runtime", {"version": "3.3.1"}, fill)
    assert not reused and other != path and len(calls) == 2
    assert len(entries(cache)[0]) == 2 and entries(cache)[1] == []


@pytest.mark.parametrize("error", [RuntimeError("download refused"), KeyboardInterrupt()])
def test_a_failed_fill_commits_nothing_and_leaves_no_temp_dir(tmp_path: Path, error: BaseException) -> None:
    cache = DirLayerCache(tmp_path)

    def fill(path: Path) -> None:
        (path / "half").write_text("made")
        raise error

    with pytest.raises(type(error)):
        cached_layer(cache, BP, "gems", {"lock": "abc"}, fill)
    assert entries(cache) == ([], [])
    assert cache.restore(BP, "gems", {"lock": "abc"}) is None
    # the next build starts clean and succeeds
    path, reused = cached_layer(cache, BP, "gems", {"lock": "abc"}, writes("ok", "1"))
    assert not reused and sorted(x.name for x in path.iterdir()) == ["ok"]


def test_new_layer_always_fills(tmp_path: Path) -> None:
    cache = DirLayerCache(tmp_path)
    first = new_layer(cache, BP, "assets", {"k": "1"}, writes("a", "1"))
    assert (first / "a").read_text() == "1"
    def fails(path: Path) -> None:
        (path / "b").write_text("half")
        raise ValueError("asset compile failed")

    with pytest.raises(ValueError, match="asset compile failed"):
        new_layer(cache, BP, "assets", {"k": "2"}, fails)
    assert entries(cache) == ([f"assets/{first.name}"], [])


def test_one_source_fills_only_the_missing_layers(tmp_path: Path) -> None:
    cache = DirLayerCache(tmp_path)
    meta = {"version": "21"}
    seen: list[list[str]] = []

    def fill(fresh: Mapping[str, Path]) -> None:
        seen.append(sorted(fresh))
        for name, path in fresh.items():
            (path / "from").write_text(name)

    jre = cached_layer(cache, BP, "jre", meta, writes("from", "before"))[0]
    got = cached_layers(cache, BP, {"jdk": meta, "jre": meta}, fill)
    assert list(got) == ["jdk", "jre"] and seen == [["jdk"]]
    assert got["jre"] == (jre, True) and (jre / "from").read_text() == "before"
    assert got["jdk"][1] is False and (got["jdk"][0] / "from").read_text() == "jdk"
    assert cached_layers(cache, BP, {"jdk": meta, "jre": meta}, fill) == {
        "jdk": (got["jdk"][0], True), "jre": (jre, True)} and len(seen) == 1  # nothing missing: no fill


def test_one_source_failing_commits_none_of_its_layers(tmp_path: Path) -> None:
    cache = DirLayerCache(tmp_path)

    def fill(fresh: Mapping[str, Path]) -> None:
        (fresh["jdk"] / "bin").mkdir()
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        cached_layers(cache, BP, {"jdk": {"v": "1"}, "jre": {"v": "1"}}, fill)
    assert entries(cache) == ([], [])
