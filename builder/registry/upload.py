"""Put one blob into a repository: skip, mount, or stream it up.

HEAD first (present → nothing to do); then, when the blob is known to live
in another repository of the same registry, a cross-repository mount (201
means done; 202 means refused but an upload session was opened, which we
use); else POST for a session, one streamed PATCH and a closing PUT
`?digest=`. The body is read from the layer in chunks with Content-Length
set — never the whole layer in memory — and checked against the digest
before its last chunk is sent, so a corrupt local blob is never committed. Any transient failure
restarts the whole session, within the retry policy.

When the single PATCH is refused for its size (413: an nginx or ingress
`client_max_body_size` in front of the registry), the blob goes up again in
a new session as a chunked upload (distribution spec "Pushing a blob in
chunks": PATCHes with `Content-Range`, then the PUT): chunks start at
half the refused size (at most `CHUNK_START`) but never below the registry's
`OCI-Chunk-Min-Length` or `CHUNK_FLOOR`, and halve on each further 413 down
to that minimum.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO, Literal

from builder.context import ProgressFn
from builder.errors import IntegrityError, RegistryError
from builder.image.digest import Digest
from builder.registry.repository import Repository, UploadSession
from builder.registry.retry import retrying

Outcome = Literal["exists", "mounted", "uploaded"]
NOTICE = -1  # a progress `total` that marks a notice the CLI always shows (builder.cli.output.Output.progress)


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

    chunked = False

    def attempt() -> Outcome:
        nonlocal chunked
        session = repo.mount(blob.digest, blob.mount_from) if blob.mount_from else None
        if blob.mount_from and session is None:
            progress(f"mounted {blob.digest.short}", blob.size, blob.size)
            return "mounted"
        if session is None:
            session = repo.start_upload()
        if chunked:
            _upload_chunked(repo, blob, session, progress, blob.size)
            return "uploaded"
        body = _chunks(blob, chunk_size, lambda done: progress(f"upload {blob.digest.short}", done, blob.size))
        try:
            repo.finish_upload(session.location, blob.digest, blob.size, body)
        except RegistryError as e:
            if e.status != 413:
                raise
            progress(f"{repo.host} answered 413 Request Entity Too Large to a {blob.size:,}-byte upload of blob "
                     f"{blob.digest.short}: sending it in chunks", 0, NOTICE)
            chunked = True
            _upload_chunked(repo, blob, repo.start_upload(), progress, blob.size)
        return "uploaded"

    return retrying(repo.client.policy, attempt)


CHUNK_START = 4 << 20   # the largest first chunk after a 413 (halved on each further 413)
CHUNK_FLOOR = 64 << 10  # never smaller, unless the blob's tail is


def _upload_chunked(repo: Repository, blob: Blob, session: UploadSession, progress: ProgressFn,
                    refused: int) -> None:
    """PATCH the blob in ordered chunks, shrinking them while the registry answers 413, then PUT.

    `refused` is the body size that got the 413: chunks start below it (half
    of it, at most CHUNK_START) and never below the registry's minimum.

    The digest and size are checked before the closing PUT, so a corrupt local
    blob is never committed. RegistryError (413) when even the smallest
    allowed chunk is refused.
    """
    floor = max(session.min_chunk, CHUNK_FLOOR)
    size = max(floor, min(CHUNK_START, refused // 2))
    digest = hashlib.new(blob.digest.algorithm)
    location = session.location
    offset = 0
    with blob.opener() as stream:
        pending = b""
        while True:
            if len(pending) < size:
                pending += stream.read(size - len(pending))
            if not pending:
                break
            piece = pending[:size]
            try:
                location = repo.upload_chunk(location, blob.digest, offset, piece)
            except RegistryError as e:
                if e.status != 413 or size <= floor:
                    raise
                size = max(floor, size // 2)
                continue
            digest.update(piece)
            offset += len(piece)
            pending = pending[len(piece):]
            progress(f"upload {blob.digest.short}", offset, blob.size)
    if offset != blob.size or digest.hexdigest() != blob.digest.hex:
        raise IntegrityError(f"the local copy of blob {blob.digest.short} does not match its digest "
                             f"({offset} bytes, {blob.size} expected)",
                             "remove the blob cache (the build's store) and build again")
    repo.commit_upload(location, blob.digest)


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
