"""Put one blob into a repository: skip, mount, or stream it up.

HEAD first (present → nothing to do); then, when the blob is known to live
in another repository of the same registry, a cross-repository mount (201
means done; 202 means refused but an upload session was opened, which we
use); else POST for a session, one streamed PATCH and a closing PUT
`?digest=`. The body is read from the layer in chunks with Content-Length
set — never the whole layer in memory — and checked against the digest
before its last chunk is sent, so a corrupt local blob is never committed. Any transient failure
restarts the whole session, within the retry policy.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO, Literal

from builder.context import ProgressFn
from builder.errors import IntegrityError
from builder.image.digest import Digest
from builder.registry.repository import Repository
from builder.registry.retry import retrying

Outcome = Literal["exists", "mounted", "uploaded"]


@dataclass(frozen=True)
class Blob:
    """What to push: a digest, its size, how to read it, and where it may be mounted from."""

    digest: Digest
    size: int
    opener: Callable[[], BinaryIO] = field(compare=False, repr=False)
    mount_from: str | None = None


def push_blob(repo: Repository, blob: Blob, progress: ProgressFn, chunk_size: int = 1 << 20) -> Outcome:
    """Make `blob` present in `repo`; says how it got there."""
    if repo.has_blob(blob.digest):
        progress(f"exists {blob.digest.short}", blob.size, blob.size)
        return "exists"

    def attempt() -> Outcome:
        location = repo.mount(blob.digest, blob.mount_from) if blob.mount_from else None
        if blob.mount_from and location is None:
            progress(f"mounted {blob.digest.short}", blob.size, blob.size)
            return "mounted"
        if location is None:
            location = repo.start_upload()
        body = _chunks(blob, chunk_size, lambda done: progress(f"upload {blob.digest.short}", done, blob.size))
        repo.finish_upload(location, blob.digest, blob.size, body)
        return "uploaded"

    return retrying(repo.client.policy, attempt)


def _chunks(blob: Blob, chunk_size: int, report: Callable[[int], None]) -> Iterator[bytes]:
    """The blob's bytes, one chunk behind the reader so the digest is checked before the last one goes."""
    digest = hashlib.new(blob.digest.algorithm)
    sent = 0
    held: bytes | None = None
    with blob.opener() as stream:
        while block := stream.read(chunk_size):
            digest.update(block)
            if held is not None:
                yield held
                sent += len(held)
                report(sent)
            held = block
    total = sent + (len(held) if held else 0)
    if total != blob.size or digest.hexdigest() != blob.digest.hex:
        raise IntegrityError(f"the local copy of blob {blob.digest.short} does not match its digest "
                             f"({total} bytes, {blob.size} expected)",
                             "remove the blob cache (the build's store) and build again")
    if held:
        yield held
        report(total)
