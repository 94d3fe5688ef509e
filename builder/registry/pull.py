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

from builder.errors import IntegrityError, RegistryError
from builder.image.blobs import BlobStore
from builder.image.digest import Digest
from builder.image.image import Image
from builder.image.layer import Layer, Origin
from builder.image.media import INDEXES, MANIFESTS, Descriptor, Platform, choose_platform
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
    def open_layer() -> BinaryIO:
        if store is not None and store.has(desc.digest):
            return store.open(desc.digest)
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
