"""Proving that a checksum-database record is in the signed tree: a Merkle inclusion proof from tiles.

    root_with_record(record_id, data, tree_size, read_tile) -> the root hash the record implies
    tile_path(level, index, width)                         -> "tile/8/0/x001/234.p/5"

The signed tree head (see `sumdb`) commits to the root hash of a Merkle tree
over every record (RFC 6962: a leaf hashes as SHA-256(0x00 ‖ data), an inner
node as SHA-256(0x01 ‖ left ‖ right); a range that is not a power of two
splits at the largest power of two below its size). A record is in that tree
when the root computed from the record's own hash and the hashes beside its
path equals the signed root. The hashes beside the path are read from the
database's tiles (golang.org/x/mod/sumdb/tlog): the tile at level L, index N
holds up to 2^H consecutive hashes of tree level L·H, starting at N·2^H; a
tile at the tree's right edge is partial (`.p/<width>`). A hash at a level
between tile levels is hashed up from the tile below it.

`read_tile(level, index, width)` returns `width` × 32 bytes; this module never
touches the network, so it is tested on trees it builds itself.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

HASH_SIZE = 32
TILE_HEIGHT = 8  # sum.golang.org's tiles (the go command's default)

ReadTile = Callable[[int, int, int], bytes]  # (level, index, width) -> width * 32 bytes


def record_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def tile_path(level: int, index: int, width: int, height: int = TILE_HEIGHT) -> str:
    """The tile's URL path below the database's base (tlog.Tile.Path): index digits in `x`-prefixed groups of 3."""
    digits = f"{index % 1000:03d}"
    while index >= 1000:
        index //= 1000
        digits = f"x{index % 1000:03d}/{digits}"
    partial = f".p/{width}" if width != 1 << height else ""
    return f"tile/{height}/{level}/{digits}{partial}"


class _Tree:
    """Hashes of complete subtrees of a tree of `size` records, read from tiles (cached per tile)."""

    def __init__(self, size: int, read_tile: ReadTile, height: int) -> None:
        self.size, self.read_tile, self.height = size, read_tile, height
        self.tiles: dict[tuple[int, int], bytes] = {}

    def subtree(self, level: int, index: int) -> bytes:
        """The hash of records [index·2^level, (index+1)·2^level), which must all exist."""
        tile_level, rest = divmod(level, self.height)
        base = tile_level * self.height
        first = index << rest                    # the first level-`base` hash under this node
        count = 1 << rest
        tile_index, offset = divmod(first, 1 << self.height)
        hashes = self._tile(tile_level, tile_index, base)
        nodes = [hashes[(offset + i) * HASH_SIZE:(offset + i + 1) * HASH_SIZE] for i in range(count)]
        while len(nodes) > 1:
            nodes = [node_hash(nodes[i], nodes[i + 1]) for i in range(0, len(nodes), 2)]
        return nodes[0]

    def _tile(self, tile_level: int, tile_index: int, base: int) -> bytes:
        key = (tile_level, tile_index)
        if key not in self.tiles:
            full = 1 << self.height
            width = min(full, (self.size >> base) - tile_index * full)
            data = self.read_tile(tile_level, tile_index, width)
            if len(data) < width * HASH_SIZE:
                raise ValueError(f"tile {tile_path(tile_level, tile_index, width, self.height)} is short")
            self.tiles[key] = data[:width * HASH_SIZE]
        return self.tiles[key]

    def range_hash(self, lo: int, hi: int) -> bytes:
        """RFC 6962 MTH of records [lo, hi), lo aligned to the largest power of two in hi - lo."""
        n = hi - lo
        if n & (n - 1) == 0:
            return self.subtree(n.bit_length() - 1, lo // n)
        k = 1 << ((n - 1).bit_length() - 1)
        return node_hash(self.range_hash(lo, lo + k), self.range_hash(lo + k, hi))

    def root_with(self, lo: int, hi: int, index: int, leaf: bytes) -> bytes:
        """The MTH of [lo, hi) with record `index`'s hash taken to be `leaf` rather than read."""
        if hi - lo == 1:
            return leaf
        k = 1 << ((hi - lo - 1).bit_length() - 1)
        if index < lo + k:
            return node_hash(self.root_with(lo, lo + k, index, leaf), self.range_hash(lo + k, hi))
        return node_hash(self.range_hash(lo, lo + k), self.root_with(lo + k, hi, index, leaf))


def root_with_record(record_id: int, data: bytes, tree_size: int, read_tile: ReadTile,
                     height: int = TILE_HEIGHT) -> bytes:
    """The root hash of a `tree_size` tree whose record `record_id` is `data`; ValueError for an id outside it."""
    if not 0 <= record_id < tree_size:
        raise ValueError(f"record {record_id} is not in a tree of {tree_size} records")
    return _Tree(tree_size, read_tile, height).root_with(0, tree_size, record_id, record_hash(data))
