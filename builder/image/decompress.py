"""Decompressing readers by kind: one place for image layers, docker-archives and .deb members.

The kinds are those the OCI layer media types name (image-spec layer.md:
none, gzip, zstd) and those `docker load` accepts for an archive (moby
pkg/archive DecompressStream: gzip, bzip2, xz, zstd). Each reader reads every
member or frame of its stream: our own gzip layers are multi-member (parallel
compression), and zstd writers such as containerd's and pigz-like tools may
write several frames.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import zlib
from typing import TYPE_CHECKING, BinaryIO, Literal, cast

import zstandard

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

Kind = Literal["none", "gzip", "bzip2", "xz", "zstd"]

# What each kind's reader raises on damaged input (besides EOFError on a truncated stream).
DAMAGED: tuple[type[Exception], ...] = (EOFError, zlib.error, lzma.LZMAError, zstandard.ZstdError)

# Magic numbers at the start of each compressed kind (a plain tar has none).
MAGIC: tuple[tuple[bytes, Kind], ...] = (
    (b"\x1f\x8b", "gzip"),
    (b"BZh", "bzip2"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
)


def sniff(head: bytes) -> Kind:
    """The kind whose magic number `head` (the stream's first 6+ bytes) starts with; "none" otherwise."""
    return next((kind for magic, kind in MAGIC if head.startswith(magic)), "none")


def reader(source: BinaryIO, kind: Kind) -> BinaryIO:
    """A forward-only reader of `source`'s decompressed bytes; `source` itself for "none".

    Errors while reading are those in DAMAGED, a stream cut short included.
    """
    if kind == "gzip":
        return cast(BinaryIO, gzip.GzipFile(fileobj=source))
    if kind == "bzip2":
        return cast(BinaryIO, bz2.BZ2File(source))
    if kind == "xz":
        return cast(BinaryIO, lzma.LZMAFile(source))
    if kind == "zstd":
        return cast(BinaryIO, io.BufferedReader(_ZstdFrames(source), 1 << 16))
    return source


class _ZstdFrames(io.RawIOBase):
    """Every zstd frame of `source`, one after another; a stream cut inside a frame raises ZstdError.

    zstandard's own stream_reader returns a short read at a cut frame without
    saying so, which would turn a truncated layer into a short tar.
    """

    def __init__(self, source: BinaryIO) -> None:
        self._source = source
        self._dctx = zstandard.ZstdDecompressor()
        self._frame: zstandard.ZstdDecompressionObj | None = None
        self._pending = bytearray()
        self._ended = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        while not self._pending and not self._ended:
            self._fill()
        view = memoryview(buffer).cast("B")
        n = min(len(view), len(self._pending))
        view[:n] = self._pending[:n]
        del self._pending[:n]
        return n

    def _fill(self) -> None:
        data = self._source.read(1 << 16)
        if not data:
            if self._frame is not None:
                raise zstandard.ZstdError("the zstd stream ends inside a frame (truncated)")
            self._ended = True
        while data:
            if self._frame is None:
                self._frame = self._dctx.decompressobj()
            self._pending += self._frame.decompress(data)
            if not self._frame.eof:
                break
            data, self._frame = self._frame.unused_data, None
