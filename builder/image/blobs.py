"""A content-addressed blob store on disk: the compressed-layer cache.

Blobs live at `blobs/sha256/<hex>` and are only ever created by an atomic
rename of a fully written and verified temp file, so a build killed midway
leaves at worst a stray `*.tmp` (swept on open), never a wrong blob. The
`layers/` index maps (diffID, codec) to the compressed blob so an unchanged
layer is never compressed twice. Two processes may share a store: every
write is a rename of a complete file, and readers verify nothing half-made.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, BinaryIO, Iterator

from builder.errors import IntegrityError
from builder.image.digest import Digest

STALE_TMP_SECONDS = 24 * 3600


@dataclass(frozen=True)
class CompressedRef:
    """What the (diffID, codec) index remembers about a compressed layer."""

    digest: Digest
    size: int


class BlobStore:
    """Blobs by digest plus the diffID → compressed-blob index."""

    def __init__(self, root: Path, *, with_index: bool = True) -> None:
        """`with_index=False` gives just the blob directory, the shape of an OCI layout's."""
        self.root = Path(root)
        self._blobs = self.root / "blobs" / "sha256"
        self._index = self.root / "layers"
        self._blobs.mkdir(parents=True, exist_ok=True)
        if with_index:
            self._index.mkdir(parents=True, exist_ok=True)
        self._sweep()

    def _sweep(self) -> None:
        """Remove temp files old enough that no live build can own them."""
        cutoff = time.time() - STALE_TMP_SECONDS
        for d in (self._blobs, self._index):
            for p in d.glob("*.tmp") if d.is_dir() else ():
                try:
                    if p.stat().st_mtime < cutoff:
                        p.unlink()
                except FileNotFoundError:
                    pass

    def path(self, digest: Digest) -> Path:
        return self._blobs / digest.hex

    def has(self, digest: Digest) -> bool:
        return self.path(digest).exists()

    def open(self, digest: Digest) -> BinaryIO:
        return open(self.path(digest), "rb")

    def opener(self, digest: Digest) -> Callable[[], BinaryIO]:
        path = self.path(digest)
        return lambda: open(path, "rb")

    @contextmanager
    def temp(self) -> Iterator[tuple[BinaryIO, Path]]:
        """A temp file inside the store (same file system, so the rename is atomic)."""
        fd, name = tempfile.mkstemp(dir=self._blobs, suffix=".tmp")
        path = Path(name)
        try:
            with os.fdopen(fd, "wb") as f:
                yield f, path
        finally:
            if path.exists():
                path.unlink()

    def commit(self, tmp: Path, digest: Digest) -> Path:
        """Move a finished temp file into place under its digest."""
        final = self.path(digest)
        os.chmod(tmp, 0o644)
        os.replace(tmp, final)
        return final

    def put_bytes(self, data: bytes) -> Digest:
        digest = Digest.of(data)
        if not self.has(digest):
            with self.temp() as (f, tmp):
                f.write(data)
                f.close()
                self.commit(tmp, digest)
        return digest

    def put_stream(self, stream: IO[bytes], expected: Digest | None = None, expected_size: int | None = None) -> Digest:
        """Copy a stream into the store, verifying it against `expected` when given."""
        if expected is not None and self.has(expected):
            return expected
        import hashlib

        h = hashlib.sha256()
        size = 0
        with self.temp() as (f, tmp):
            while chunk := stream.read(1 << 20):
                h.update(chunk)
                f.write(chunk)
                size += len(chunk)
            f.close()
            got = Digest("sha256", h.hexdigest())
            if expected is not None and got != expected:
                raise IntegrityError(f"blob {expected.short} arrived with digest {got.short}")
            if expected_size is not None and size != expected_size:
                raise IntegrityError(f"blob {got.short} is {size} bytes, {expected_size} were announced")
            self.commit(tmp, got)
        return got

    def lookup(self, diff_id: Digest, codec_key: str) -> CompressedRef | None:
        """The compressed blob for this diffID and codec, when both index entry and blob exist."""
        entry = self._index / f"{diff_id.hex}.{codec_key}.json"
        try:
            d = json.loads(entry.read_text())
            ref = CompressedRef(Digest.parse(d["digest"]), int(d["size"]))
        except (FileNotFoundError, ValueError, KeyError):
            return None
        return ref if self.has(ref.digest) else None

    def remember(self, diff_id: Digest, codec_key: str, ref: CompressedRef) -> None:
        entry = self._index / f"{diff_id.hex}.{codec_key}.json"
        fd, name = tempfile.mkstemp(dir=self._index, suffix=".tmp")
        with os.fdopen(fd, "w") as f:
            json.dump({"digest": str(ref.digest), "size": ref.size}, f)
        os.replace(name, entry)
