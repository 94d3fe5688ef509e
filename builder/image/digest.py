"""Content digests, parsed once at the edge into a value type."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import BinaryIO

from builder.errors import UsageError

_HEX = {"sha256": 64, "sha512": 128}
_RE = re.compile(r"^(sha256|sha512):([0-9a-f]+)$")


@dataclass(frozen=True, order=True)
class Digest:
    """`algorithm:hex`, e.g. `sha256:e3b0…`; str() gives the wire form."""

    algorithm: str
    hex: str

    @classmethod
    def parse(cls, text: str) -> Digest:
        m = _RE.match(text)
        if not m or len(m.group(2)) != _HEX[m.group(1)]:
            raise UsageError(f"'{text}' is not a digest", "a digest looks like sha256:<64 hex digits>")
        return cls(m.group(1), m.group(2))

    @classmethod
    def of(cls, data: bytes) -> Digest:
        return cls("sha256", hashlib.sha256(data).hexdigest())

    @classmethod
    def of_stream(cls, stream: BinaryIO, chunk: int = 1 << 20) -> tuple[Digest, int]:
        """Digest and size of everything left in `stream`."""
        h = hashlib.sha256()
        size = 0
        while block := stream.read(chunk):
            h.update(block)
            size += len(block)
        return cls("sha256", h.hexdigest()), size

    def __str__(self) -> str:
        return f"{self.algorithm}:{self.hex}"

    @property
    def short(self) -> str:
        return self.hex[:12]
