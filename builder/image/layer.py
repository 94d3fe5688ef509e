"""Layers: immutable values pointing at a compressed blob, plus how to make them.

A `Layer` knows its manifest descriptor, its diffID, how to open the
compressed bytes (lazily: a registry layer is only downloaded when a sink
needs the bytes), and where it came from so a registry sink can mount it
instead of uploading it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from builder.image.blobs import BlobStore, CompressedRef
from builder.image.compress import Codec, GzipWriter, HashWriter
from builder.image.digest import Digest
from builder.image.media import OCI_LAYER_GZIP, Descriptor
from builder.image.tarball import DEFAULT_EPOCH, Entry, scan_dir, write_tar


@dataclass(frozen=True)
class Origin:
    """A registry repository that already holds this blob (for cross-repo mount)."""

    registry: str
    repository: str


@dataclass(frozen=True)
class Layer:
    """One layer: its manifest descriptor (compressed blob), diffID, an opener, and where it may be mounted from."""

    descriptor: Descriptor
    diff_id: Digest
    opener: Callable[[], BinaryIO] = field(compare=False, repr=False)
    origin: Origin | None = field(default=None, compare=False)

    @property
    def digest(self) -> Digest:
        return self.descriptor.digest

    @property
    def size(self) -> int:
        return self.descriptor.size

    @property
    def media_type(self) -> str:
        return self.descriptor.media_type

    def open(self) -> BinaryIO:
        """The compressed blob's bytes."""
        return self.opener()


def layer_from_entries(entries: Iterable[Entry], store: BlobStore, *, codec: Codec = Codec(),
                       epoch: int = DEFAULT_EPOCH, media_type: str = OCI_LAYER_GZIP) -> Layer:
    """Build (or reuse) a layer from entries.

    First a cheap pass tars into a hash to learn the diffID; only when no
    compressed blob for (diffID, codec) is cached does a second pass compress.
    """
    items = list(entries)
    hasher = HashWriter()
    write_tar(items, hasher, epoch)  # type: ignore[arg-type]
    diff_id = Digest("sha256", hasher.hexdigest())
    cached = store.lookup(diff_id, codec.key)
    if cached is None:
        with store.temp() as (f, tmp):
            gz = GzipWriter(f, codec.level)
            write_tar(items, gz, epoch)  # type: ignore[arg-type]
            raw_hex, gz_hex, size = gz.close()
            f.close()
            if raw_hex != diff_id.hex:
                raise RuntimeError("layer content changed while it was being written")
            cached = CompressedRef(Digest("sha256", gz_hex), size)
            store.commit(tmp, cached.digest)
        store.remember(diff_id, codec.key, cached)
    return Layer(Descriptor(media_type, cached.digest, cached.size), diff_id, store.opener(cached.digest))


def layer_from_dir(root: Path, store: BlobStore, *, prefix: str = "", uid: int = 0, gid: int = 0,
                   exclude: frozenset[str] = frozenset(), exclude_names: frozenset[str] = frozenset(),
                   codec: Codec = Codec(), epoch: int = DEFAULT_EPOCH) -> Layer:
    """A layer holding everything under `root`, placed at `prefix` in the image."""
    return layer_from_entries(scan_dir(root, prefix, uid, gid, exclude, exclude_names), store, codec=codec, epoch=epoch)


def layer_from_blob(store: BlobStore, descriptor: Descriptor, diff_id: Digest) -> Layer:
    """A layer whose compressed blob is already in the store."""
    return Layer(descriptor, diff_id, store.opener(descriptor.digest))
