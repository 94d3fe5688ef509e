"""Parallel, deterministic gzip: the one compressor path for every layer.

Like pigz, the stream is cut into fixed-size blocks; each block is deflated on
its own thread with the previous 32 KiB as a preset dictionary and ends on a
byte boundary (Z_SYNC_FLUSH), so the blocks concatenate into one valid deflate
stream. Block boundaries depend only on the input, never on the thread count,
so the output is the same bytes on every machine. zlib-ng releases the GIL, so
two cores compress twice as fast. The gzip header carries no name and mtime 0.
"""

from __future__ import annotations

import hashlib
import os
import struct
import zlib
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import BinaryIO

from zlib_ng import zlib_ng

BLOCK = 1 << 20
WINDOW = 1 << 15
GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"  # no name, mtime 0, OS unknown
DEFAULT_LEVEL = 9


@dataclass(frozen=True)
class Codec:
    """How a layer blob is compressed; part of the compressed-blob cache key."""

    name: str = "gzip"
    level: int = DEFAULT_LEVEL

    @property
    def key(self) -> str:
        return f"{self.name}-{self.level}-zng{zlib_ng.ZLIBNG_VERSION}-b{BLOCK}"


def _deflate_block(block: bytes, zdict: bytes, level: int, last: bool) -> bytes:
    c = zlib_ng.compressobj(level, zlib_ng.DEFLATED, -15, 9, zlib_ng.Z_DEFAULT_STRATEGY, zdict) if zdict \
        else zlib_ng.compressobj(level, zlib_ng.DEFLATED, -15, 9)
    return c.compress(block) + c.flush(zlib_ng.Z_FINISH if last else zlib_ng.Z_SYNC_FLUSH)


class GzipWriter:
    """A write-only file object: uncompressed bytes in, gzip bytes to `out`.

    It also computes what a layer needs: the diffID (sha256 of the input), and
    the digest and size of the compressed output.
    """

    def __init__(self, out: BinaryIO, level: int = DEFAULT_LEVEL, workers: int | None = None) -> None:
        self._out = out
        self._level = level
        self._pool = ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 1)
        self._pending: deque[Future[bytes]] = deque()
        self._buf = bytearray()
        self._prev_tail = b""
        self._crc = 0
        self._isize = 0
        self._raw = hashlib.sha256()
        self._gz = hashlib.sha256()
        self._size = 0
        self._max_pending = 2 * (workers or os.cpu_count() or 1)
        self._emit(GZIP_HEADER)

    def _emit(self, data: bytes) -> None:
        self._out.write(data)
        self._gz.update(data)
        self._size += len(data)

    def _submit(self, block: bytes, last: bool) -> None:
        self._raw.update(block)
        self._crc = zlib.crc32(block, self._crc)
        self._isize += len(block)
        self._pending.append(self._pool.submit(_deflate_block, block, self._prev_tail, self._level, last))
        self._prev_tail = block[-WINDOW:]
        while len(self._pending) > self._max_pending:
            self._emit(self._pending.popleft().result())

    def write(self, data: bytes) -> int:  # file-object protocol
        self._buf += data
        while len(self._buf) >= BLOCK:
            block = bytes(self._buf[:BLOCK])
            del self._buf[:BLOCK]
            self._submit(block, last=False)
        return len(data)

    def close(self) -> tuple[str, str, int]:
        """Finish the stream; returns (diffID hex, compressed digest hex, compressed size)."""
        self._submit(bytes(self._buf), last=True)
        self._buf.clear()
        while self._pending:
            self._emit(self._pending.popleft().result())
        self._pool.shutdown()
        self._emit(struct.pack("<II", self._crc & 0xFFFFFFFF, self._isize & 0xFFFFFFFF))
        return self._raw.hexdigest(), self._gz.hexdigest(), self._size


class HashWriter:
    """A write-only file object that only hashes: the cheap first pass for a diffID."""

    def __init__(self) -> None:
        self._h = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self._h.update(data)
        self.size += len(data)
        return len(data)

    def hexdigest(self) -> str:
        return self._h.hexdigest()
