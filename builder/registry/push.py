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
from builder.errors import IntegrityError, RegistryError
from builder.image.digest import Digest
from builder.image.image import Image
from builder.image.layer import Layer
from builder.image.index import Node
from builder.image.media import Descriptor, is_nondistributable
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
    """Config + layers, each digest once; non-distributable (OCI) and foreign (Docker) layers stay
    where their URLs say, as `docker push` leaves them (distribution accepts a manifest naming them).

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
        if layer.digest in seen or is_nondistributable(layer.media_type):
            continue
        seen.add(layer.digest)
        blobs.append(Blob(layer.digest, layer.size, layer.opener, mount_source(layer)))
    return blobs


def push_image(repo: Repository, image: Image, ref: RegistryRef, progress: ProgressFn, *,
               parallel: int = 3, chunk_size: int = 1 << 20) -> PushResult:
    """Push `image` to `ref`: a tag, a digest that must be the image's, or both (`repo:tag@sha256:…`).

    With both, the digest is checked first (UsageError, exit 2, nothing
    written when it differs) and the manifest is PUT under the tag, which
    stores it under its digest as well — as `docker push` and crane do.
    """
    ref.require_digest(image.digest)
    repo.ping()
    blobs = blobs_to_push(image, ref)
    outcomes = _push_all(repo, blobs, progress, parallel, chunk_size)
    foreign = [layer.descriptor for layer in image.layers if is_nondistributable(layer.media_type)]
    _put(repo, ref.tag or ref.identifier, image.manifest_bytes, image.media_type, image.digest, foreign)
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


def push_tree(repo: Repository, tree: Node, ref: RegistryRef, progress: ProgressFn, *,
              parallel: int = 3, chunk_size: int = 1 << 20) -> PushResult:
    """Push an index with every manifest and blob below it; the index goes under `ref` last.

    Blobs first (non-distributable ones skipped), then each child manifest
    by its digest, deepest first, then the index under the tag (and checked
    against a pinned digest) — so neither the tag nor any child ever points
    at something missing, and the index keeps its digest byte for byte.
    """
    ref.require_digest(tree.digest)
    repo.ping()

    def mount_source(origin_registry: str, origin_repo: str) -> str | None:
        return origin_repo if origin_registry == ref.registry and origin_repo != ref.repository else None

    blobs = [Blob(b.descriptor.digest, b.descriptor.size, b.opener,
                  mount_source(b.origin.registry, b.origin.repository) if b.origin else None)
             for b in tree.all_blobs() if not b.nondistributable]
    outcomes = _push_all(repo, blobs, progress, parallel, chunk_size)
    for node in tree.walk():
        foreign = [b.descriptor for b in node.blobs if b.nondistributable]
        identifier = (ref.tag or ref.identifier) if node is tree else str(node.digest)
        _put(repo, identifier, node.data, node.media_type, node.digest, foreign)
    results = tuple(BlobResult(str(b.digest), b.size, o) for b, o in zip(blobs, outcomes))
    return PushResult(ref.with_digest(tree.digest), results)


def _put(repo: Repository, identifier: str, data: bytes, media_type: str, digest: Digest,
         foreign: list[Descriptor]) -> None:
    """PUT one manifest; the registry must store it under its own digest.

    When it refuses a manifest that names non-distributable layers, the hint
    says so: distribution checks their URLs against `validation.manifests.urls`
    and answers 500 UNKNOWN + MANIFEST_BLOB_UNKNOWN (its log says "invalid URL
    on layer"), which alone reads like a registry failure.
    """
    try:
        reported = repo.put_manifest(identifier, data, media_type)
    except RegistryError as e:
        if not foreign or type(e) is not RegistryError or e.status not in (400, 500):
            raise
        urls = sorted({u for d in foreign for u in d.urls})
        raise RegistryError(e.message, f"the manifest names {len(foreign)} non-distributable layer(s) by URL "
                            f"({', '.join(urls)[:200] or 'none given'}); the registry refuses those URLs or wants "
                            "the blobs: allow them in its config (distribution: validation.manifests.urls) or "
                            "push an image whose layers are all distributable",
                            status=e.status, codes=e.codes) from None
    if reported and reported != str(digest):
        raise IntegrityError(f"{repo.host} stored the manifest as {reported}, not {digest}",
                             "the registry rewrote the manifest; the pushed reference would not be reproducible")
