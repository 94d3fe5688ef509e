"""Content-addressed cache files: written whole or not at all, and re-checked before use.

No lock is needed: every name is the SHA256 of its content, a file appears only by
os.replace of a complete temp file in the same directory, and two builds that race
write identical bytes.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import BinaryIO

_CHUNK = 1 << 20


def matches(path: Path, size: int, sha256: str) -> bool:
    """True when `path` exists with exactly this size and digest."""
    try:
        if path.stat().st_size != size:
            return False
        digest = hashlib.sha256()
        with path.open("rb") as f:
            while block := f.read(_CHUNK):
                digest.update(block)
    except FileNotFoundError:
        return False
    return digest.hexdigest() == sha256


def discard(path: Path) -> None:
    """Remove `path` if it is there."""
    with suppress(FileNotFoundError):
        path.unlink()


@contextmanager
def atomic_file(target: Path) -> Iterator[BinaryIO]:
    """A temp file beside `target` that becomes `target` only if the block finishes without error."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
        os.replace(temp, target)
    except BaseException:
        discard(Path(temp))
        raise
