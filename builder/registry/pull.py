"""Read an image from a registry: manifest (choosing a platform from an index) and config.

Only the manifest and the config are fetched here. Layers stay lazy: each
`Layer.opener` streams its blob when a sink reads it (or reads the local blob
store when it already holds that digest) and verifies the digest at EOF, and
records where it came from so a push to the same registry can mount it. The
openers keep the repository's HTTP client alive for as long as the image is.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any, BinaryIO

from builder.errors import IntegrityError, NotFoundError, RegistryError
from builder.image.blobs import BlobStore
from builder.image.digest import Digest
from builder.image.image import Image
from builder.image.index import MAX_DEPTH, BlobSource, Node, blob_descriptors, entries, kind_of, parse_manifest
from builder.image.layer import Layer, Origin
from builder.image.media import INDEXES, MANIFESTS, Descriptor, Platform, choose_platform, is_nondistributable
from builder.reference import RegistryRef
from builder.registry.repository import Repository


def pull_image(repo: Repository, ref: RegistryRef, platform: Platform, store: BlobStore | None = None) -> Image:
    """The image `ref` names; for an index, the entry matching `platform`."""
    data, media_type = repo.manifest(ref.identifier)
    if ref.digest is not None:
        _check_digest(data, ref.digest, str(ref))
    doc = _parse(data, str(ref))
    media_type = doc.get("mediaType") or media_type
    if media_type in INDEXES or ("manifests" in doc and "config" not in doc):
        chosen = choose_platform(doc, platform, str(ref))
        data, media_type = repo.manifest(str(chosen.digest))
        _check_digest(data, chosen.digest, f"{ref.name}@{chosen.digest}")
        doc = _parse(data, str(ref))
    declared = doc.get("mediaType")
    if "config" not in doc or (declared and declared not in MANIFESTS):
        kind = declared or media_type or "manifest of unknown type"
        raise RegistryError(f"{ref} is a {kind}, which dockless cannot read",
                            "only OCI and Docker v2 schema 2 images and indexes are supported")
    config_desc = Descriptor.from_json(doc["config"])
    config_bytes = repo.blob_bytes(config_desc)
    return Image(data, config_bytes, _layers(repo, ref, doc, config_bytes, store))


def pull_tree(repo: Repository, ref: RegistryRef, store: BlobStore | None = None) -> Node:
    """The manifest `ref` names with everything below it: for an index, every entry's manifest.

    Manifests are fetched now (each checked against the digest its parent
    lists); blobs stay lazy. UsageError for a schema 1 manifest.
    """
    data, content_type = repo.manifest(ref.identifier)
    if ref.digest is not None:
        _check_digest(data, ref.digest, str(ref))
    doc = parse_manifest(data, str(ref))
    top = Descriptor(kind_of(doc, content_type), Digest.of(data), len(data))
    return _node(repo, ref, top, data, doc, store, 0)


def _node(repo: Repository, ref: RegistryRef, desc: Descriptor, data: bytes, doc: dict[str, Any],
          store: BlobStore | None, depth: int) -> Node:
    if desc.media_type not in INDEXES:
        origin = Origin(ref.registry, ref.repository)
        blobs = tuple(BlobSource(d, _opener(repo, d, store), origin) for d in blob_descriptors(doc))
        return Node(desc, data, blobs=blobs)
    if depth >= MAX_DEPTH:
        raise RegistryError(f"{ref} nests indexes more than {MAX_DEPTH} deep", "the index is malformed")
    children = []
    for entry in entries(doc):
        child, _ = repo.manifest(str(entry.digest))
        _check_digest(child, entry.digest, f"{ref.name}@{entry.digest}")
        children.append(_node(repo, ref, entry, child, parse_manifest(child, f"{ref.name}@{entry.digest}"),
                              store, depth + 1))
    return Node(desc, data, children=tuple(children))


def _layers(repo: Repository, ref: RegistryRef, manifest: dict[str, Any], config_bytes: bytes,
            store: BlobStore | None) -> tuple[Layer, ...]:
    try:
        diff_ids = json.loads(config_bytes)["rootfs"]["diff_ids"]
        descriptors = [Descriptor.from_json(d) for d in manifest.get("layers") or []]
    except (ValueError, KeyError, TypeError):
        raise RegistryError(f"the config of {ref} has no rootfs.diff_ids", "the image is malformed") from None
    if len(diff_ids) != len(descriptors):
        raise RegistryError(f"{ref} lists {len(descriptors)} layers but its config has {len(diff_ids)} diff_ids",
                            "the image is malformed")
    origin = Origin(ref.registry, ref.repository)
    return tuple(Layer(desc, Digest.parse(diff), _opener(repo, desc, store), origin)
                 for desc, diff in zip(descriptors, diff_ids))


def _opener(repo: Repository, desc: Descriptor, store: BlobStore | None) -> Callable[[], BinaryIO]:
    """Opens the blob from the local store, else the registry. A non-distributable layer the registry
    does not hold (the usual case: it lives at its URLs) is NotFoundError (exit 12) naming them."""
    def open_layer() -> BinaryIO:
        if store is not None and store.has(desc.digest):
            return store.open(desc.digest)
        if is_nondistributable(desc.media_type) and not repo.has_blob(desc.digest):
            urls = ", ".join(desc.urls) or "none given"
            raise NotFoundError(f"layer {desc.digest} of {repo.host}/{repo.name} is non-distributable and the "
                                f"registry does not hold its blob (its URLs: {urls[:300]})",
                                "copy to a registry or oci:DIR, which keep the URLs; dockless does not download "
                                "layer URLs")
        return repo.open_blob(desc)

    return open_layer


def _parse(data: bytes, name: str) -> dict[str, Any]:
    try:
        doc = json.loads(data)
    except ValueError:
        doc = None
    if not isinstance(doc, dict) or doc.get("schemaVersion") != 2:
        raise RegistryError(f"the manifest of {name} is not a schema 2 manifest or index",
                            "only OCI and Docker v2 schema 2 images and indexes are supported")
    return doc


def _check_digest(data: bytes, expected: Digest, name: str) -> None:
    got = hashlib.new(expected.algorithm, data).hexdigest()
    if got != expected.hex:
        raise IntegrityError(f"the manifest of {name} does not match its digest")
