"""Write an image to a registry: every blob first, the manifest (the tag) last.

Blobs go up in a small thread pool; the manifest is PUT only once every one
is present, byte-for-byte as `image.manifest_bytes` with its own media type,
so the tag can never point at an incomplete image and the digest we print
is the digest the registry stores.
"""

from __future__ import annotations

import io
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass

from builder.context import ProgressFn
from builder.errors import IntegrityError, UsageError
from builder.image.image import Image
from builder.image.layer import Layer
from builder.image.media import DOCKER_FOREIGN_LAYER
from builder.reference import RegistryRef
from builder.registry.repository import Repository
from builder.registry.upload import Blob, Outcome, push_blob


@dataclass(frozen=True)
class BlobResult:
    """How one blob reached the destination."""

    digest: str
    size: int
    outcome: Outcome


@dataclass(frozen=True)
class PushResult:
    """The pinned reference (REPO@sha256:…) and what happened to each blob."""

    ref: RegistryRef
    blobs: tuple[BlobResult, ...]

    def count(self, outcome: Outcome) -> int:
        return sum(1 for b in self.blobs if b.outcome == outcome)


def blobs_to_push(image: Image, ref: RegistryRef) -> list[Blob]:
    """Config + layers, each digest once; foreign layers stay where their URLs say.

    A layer is mounted from its origin repository on the same registry. The
    config has no origin of its own, but an image read from a registry keeps
    its config beside its layers, so it is mounted from the first layer's
    origin: if that guess is wrong the registry opens an upload session (202)
    that we use anyway, so trying costs nothing.
    """
    def mount_source(layer: Layer) -> str | None:
        o = layer.origin
        return o.repository if o is not None and o.registry == ref.registry and o.repository != ref.repository \
            else None

    sources = [s for s in map(mount_source, image.layers) if s]
    config = image.config_bytes
    blobs = [Blob(image.config_descriptor.digest, len(config), lambda: io.BytesIO(config),
                  sources[0] if sources else None)]
    seen = {blobs[0].digest}
    for layer in image.layers:
        if layer.digest in seen or layer.media_type == DOCKER_FOREIGN_LAYER:
            continue
        seen.add(layer.digest)
        blobs.append(Blob(layer.digest, layer.size, layer.opener, mount_source(layer)))
    return blobs


def push_image(repo: Repository, image: Image, ref: RegistryRef, progress: ProgressFn, *,
               parallel: int = 3, chunk_size: int = 1 << 20) -> PushResult:
    """Push `image` to `ref` (a tag, or a digest that must be the image's)."""
    if ref.digest is not None and ref.digest != image.digest:
        raise UsageError(f"{ref} names digest {ref.digest.short} but the image is {image.digest.short}",
                         "push to a tag, or to the image's own digest")
    repo.ping()
    blobs = blobs_to_push(image, ref)
    outcomes = _push_all(repo, blobs, progress, parallel, chunk_size)
    reported = repo.put_manifest(ref.identifier, image.manifest_bytes, image.media_type)
    if reported and reported != str(image.digest):
        raise IntegrityError(f"{repo.host} stored the manifest as {reported}, not {image.digest}",
                             "the registry rewrote the manifest; the pushed reference would not be reproducible")
    results = tuple(BlobResult(str(b.digest), b.size, o) for b, o in zip(blobs, outcomes))
    return PushResult(ref.with_digest(image.digest), results)


def _push_all(repo: Repository, blobs: list[Blob], progress: ProgressFn, parallel: int,
              chunk_size: int) -> list[Outcome]:
    """Push every blob; the first failure cancels what has not started and is raised."""
    with ThreadPoolExecutor(max_workers=max(1, parallel), thread_name_prefix="dockless-push") as pool:
        futures = [pool.submit(push_blob, repo, b, progress, chunk_size) for b in blobs]
        done, pending = wait(futures, return_when=FIRST_EXCEPTION)
        for future in pending:
            future.cancel()
        for future in futures:
            if future.done() and not future.cancelled() and future.exception() is not None:
                raise future.exception()  # type: ignore[misc]
        return [f.result() for f in futures]
