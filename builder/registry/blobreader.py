"""A file object over a blob download that checks the digest at EOF.

Layers are opened lazily and read by whatever sink needs them, so the check
lives in the stream: when the last byte is read the size and digest must
match the descriptor, else IntegrityError. A dropped connection mid-blob
resumes with a `Range` request from where it stopped (or re-reads and skips
when the server ignores Range), within the retry policy.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Iterator

import httpx

from builder.errors import IntegrityError, RegistryError
from builder.image.media import Descriptor
from builder.registry.responses import unreachable
from builder.registry.retry import RetryPolicy

# Opens the blob so that its body starts at the given byte offset (Range when > 0).
OpenAt = Callable[[int], httpx.Response]


class BlobReader(io.RawIOBase):
    """Raw, verifying reader; wrap it in io.BufferedReader (see `open_verified`)."""

    def __init__(self, open_at: OpenAt, descriptor: Descriptor, *, host: str, policy: RetryPolicy) -> None:
        super().__init__()
        self._open_at = open_at
        self._desc = descriptor
        self._host = host
        self._policy = policy
        self._hash = hashlib.new(descriptor.digest.algorithm)
        self._received = 0
        self._response: httpx.Response | None = None
        self._chunks: Iterator[bytes] | None = None
        self._pending = memoryview(b"")
        self._eof = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        while not self._pending:
            if self._eof:
                return 0
            chunk = self._next_chunk()
            if not chunk:
                self._finish()
                return 0
            self._pending = memoryview(chunk)
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n

    def close(self) -> None:
        self._drop()
        super().close()

    def _next_chunk(self) -> bytes:
        """The next piece of the body, reconnecting after transient failures."""
        failures = 0
        while True:
            try:
                if self._chunks is None:
                    self._connect()
                assert self._chunks is not None
                chunk = next(self._chunks, b"")
                break
            except httpx.DecodingError as e:
                self._drop()
                raise RegistryError(f"{self._host} sent blob {self._desc.digest.short} in an encoding "
                                    "that does not decode", "a proxy may be rewriting downloads") from e
            except httpx.TransportError as e:
                self._drop()
                failures += 1
                if not self._policy.retryable_exception(e) or failures >= self._policy.attempts:
                    raise unreachable(self._host, e) from e
                self._policy.sleep(self._policy.delay(failures))
        if self._received + len(chunk) > self._desc.size:
            self._drop()
            raise IntegrityError(f"blob {self._desc.digest.short} from {self._host} is larger than "
                                 f"the {self._desc.size} bytes its descriptor announces")
        self._received += len(chunk)
        self._hash.update(chunk)
        return chunk

    def _connect(self) -> None:
        response = self._open_at(self._received)
        self._response = response
        chunks = response.iter_bytes()  # as they arrive: a re-chunking buffer would lose bytes on a reset
        if self._received and response.status_code == 200:
            chunks = _skip(chunks, self._received)  # Range ignored: the body starts again at 0
        elif self._received and response.status_code != 206:
            self._drop()
            raise RegistryError(f"{self._host} answered {response.status_code} when resuming blob "
                                f"{self._desc.digest.short}", status=response.status_code)
        self._chunks = chunks

    def _finish(self) -> None:
        self._eof = True
        self._drop()
        got = self._hash.hexdigest()
        if self._received != self._desc.size or got != self._desc.digest.hex:
            raise IntegrityError(f"blob {self._desc.digest.short} from {self._host} does not match its digest "
                                 f"({self._received} bytes, {self._desc.digest.algorithm}:{got[:12]})")

    def _drop(self) -> None:
        if self._response is not None:
            self._response.close()
        self._response = None
        self._chunks = None


def _skip(chunks: Iterator[bytes], count: int) -> Iterator[bytes]:
    """Drop the first `count` bytes of a chunk stream."""
    for chunk in chunks:
        if count >= len(chunk):
            count -= len(chunk)
            continue
        yield chunk[count:] if count else chunk
        count = 0
