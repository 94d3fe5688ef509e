"""Unit tests for the Merkle inclusion proof of a checksum-database record, from tiles.

Synthetic trees check every record of every size against a direct RFC 6962 computation;
a real proof (the tiles of sum.golang.org for github.com/go-chi/chi/v5@v5.2.3, recorded
with its lookup) checks the tile layout against the real database, offline.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from buildpacks.go.sumdb import parse_lookup
from buildpacks.go.tlog import node_hash, record_hash, root_with_record, tile_path

FIXTURES = Path(__file__).parent / "fixtures"


def mth(leaves: list[bytes]) -> bytes:
    """RFC 6962 Merkle tree hash, straight from the definition."""
    if len(leaves) == 1:
        return leaves[0]
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return node_hash(mth(leaves[:k]), mth(leaves[k:]))


def tiles_of(records: list[bytes], height: int):  # type: ignore[no-untyped-def]
    """read_tile over an in-memory tree: level L holds the hashes of level L*height."""
    levels = [[record_hash(r) for r in records]]
    while len(levels[-1]) > 1:
        below = levels[-1]
        levels.append([node_hash(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)])
    asked: list[tuple[int, int, int]] = []

    def read_tile(level: int, index: int, width: int) -> bytes:
        asked.append((level, index, width))
        hashes = levels[level * height]
        full = 1 << height
        assert width == min(full, len(hashes) - index * full)  # the width the database serves
        return b"".join(hashes[index * full: index * full + width])

    return read_tile, asked


@pytest.mark.parametrize("size", [1, 2, 3, 5, 8, 13, 37, 64, 100])
def test_every_record_of_a_tree_proves_the_tree_root(size: int) -> None:
    records = [f"m{i} v1.0.0 h1:x=\n".encode() for i in range(size)]
    root = mth([record_hash(r) for r in records])
    read_tile, asked = tiles_of(records, height=2)
    for index, record in enumerate(records):
        assert root_with_record(index, record, size, read_tile, height=2) == root
        assert root_with_record(index, record + b"tampered", size, read_tile, height=2) != root


def test_a_record_id_outside_the_tree_is_refused() -> None:
    read_tile, _ = tiles_of([b"a\n"], height=2)
    with pytest.raises(ValueError, match="not in a tree of 1 records"):
        root_with_record(1, b"a\n", 1, read_tile, height=2)


def test_tile_paths_as_the_checksum_database_names_them() -> None:
    assert tile_path(0, 5, 256) == "tile/8/0/005"
    assert tile_path(0, 166578, 256) == "tile/8/0/x166/578"
    assert tile_path(1, 1013, 42) == "tile/8/1/x001/013.p/42"
    assert tile_path(2, 1234567, 1) == "tile/8/2/x001/x234/567.p/1"


def test_a_real_record_is_proved_in_sum_golang_orgs_signed_tree() -> None:
    found = parse_lookup((FIXTURES / "chi-v5.2.3.lookup").read_text())
    tiles = {path: base64.b64decode(data) for path, data in
             json.loads((FIXTURES / "chi-v5.2.3.tiles.json").read_text()).items()}

    def read_tile(level: int, index: int, width: int) -> bytes:
        return tiles[tile_path(level, index, width)]

    root = root_with_record(found.id, found.data, found.tree.size, read_tile)
    assert base64.b64encode(root).decode() == found.tree.root
    forged = found.data.replace(b"h1:WQIt", b"h1:XQIt")
    assert base64.b64encode(root_with_record(found.id, forged, found.tree.size, read_tile)).decode() != found.tree.root
