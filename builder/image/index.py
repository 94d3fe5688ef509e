"""Manifest trees: an image index with every manifest and blob below it, as a value.

    tree = pull_tree(repo, ref, store)     # builder.registry.pull (or layout.read_tree)
    tree.is_index, tree.digest             # sha256 of the exact index bytes
    [str(c.descriptor.platform) for c in tree.children]

A copy that keeps an index keeps its digest only if every byte is kept, so
the tree holds raw manifest bytes, never re-serialised JSON. Children are
generic: an image manifest, a nested index, or an artifact (a buildx
attestation manifest has platform unknown/unknown and a non-image config),
so a node lists its blobs (config + layers) as descriptors with lazy
openers, without needing a config's diff_ids. Indexes nest at most
`MAX_DEPTH` deep (the OCI spec sets no limit; real ones are one level).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from builder.errors import UsageError
from builder.image.digest import Digest
from builder.image.layer import Origin
from builder.image.media import (
    DOCKER_CONFIG,
    INDEXES,
    OCI_CONFIG,
    OCI_INDEX,
    OCI_MANIFEST,
    SCHEMA1,
    Descriptor,
    is_nondistributable,
)

MAX_DEPTH = 4


@dataclass(frozen=True)
class BlobSource:
    """One blob a manifest references (its config or a layer) and how to read it."""

    descriptor: Descriptor
    opener: Callable[[], BinaryIO] = field(compare=False, repr=False)
    origin: Origin | None = field(default=None, compare=False)

    @property
    def nondistributable(self) -> bool:
        return is_nondistributable(self.descriptor.media_type)


@dataclass(frozen=True)
class Node:
    """A manifest (image, artifact or index) with its exact bytes and what it points to.

    `descriptor` is how the parent lists it (digest, size, media type,
    platform); for the top of a tree it is made from the bytes themselves.
    `blobs` is set for manifests, `children` for indexes.
    """

    descriptor: Descriptor
    data: bytes
    blobs: tuple[BlobSource, ...] = ()
    children: tuple[Node, ...] = ()

    @property
    def digest(self) -> Digest:
        return self.descriptor.digest

    @property
    def media_type(self) -> str:
        return self.descriptor.media_type

    @property
    def is_index(self) -> bool:
        return self.media_type in INDEXES

    @property
    def is_artifact(self) -> bool:
        """A manifest whose config is not an image config (an OCI artifact: a chart, an SBOM, a signature)."""
        if self.is_index or not self.blobs:
            return False
        return self.blobs[0].descriptor.media_type not in (OCI_CONFIG, DOCKER_CONFIG)

    def walk(self) -> Iterator[Node]:
        """Every node, children before their parent: the order a registry needs them pushed in."""
        for child in self.children:
            yield from child.walk()
        yield self

    def all_blobs(self) -> list[BlobSource]:
        """Every distinct blob under this node (first occurrence wins), in walk order."""
        seen: set[Digest] = set()
        out: list[BlobSource] = []
        for node in self.walk():
            for blob in node.blobs:
                if blob.descriptor.digest not in seen:
                    seen.add(blob.descriptor.digest)
                    out.append(blob)
        return out


def parse_manifest(data: bytes, name: str) -> dict[str, Any]:
    """The JSON of a schema 2 manifest or index; UsageError for anything else (schema 1 included)."""
    try:
        doc = json.loads(data)
    except ValueError:
        doc = None
    if isinstance(doc, dict) and (doc.get("mediaType") in SCHEMA1 or doc.get("schemaVersion") == 1):
        raise UsageError(f"{name} is a Docker schema 1 manifest, which dockless cannot read",
                         "schema 1 is deprecated; push the image again with a current Docker, or convert it with skopeo")
    if not isinstance(doc, dict) or doc.get("schemaVersion") != 2:
        raise UsageError(f"the manifest of {name} is not a schema 2 manifest or index",
                         "only OCI and Docker v2 schema 2 images and indexes are supported")
    return doc


def kind_of(doc: dict[str, Any], content_type: str = "") -> str:
    """The media type of a parsed manifest: its own field, else the transport's, else guessed from its shape."""
    declared = doc.get("mediaType") or content_type
    if declared:
        return str(declared)
    return OCI_INDEX if "manifests" in doc and "config" not in doc else OCI_MANIFEST


def entries(doc: dict[str, Any]) -> list[Descriptor]:
    """The descriptors an index lists."""
    return [Descriptor.from_json(m) for m in doc.get("manifests") or []]


def blob_descriptors(doc: dict[str, Any]) -> list[Descriptor]:
    """The config and layer descriptors of an image or artifact manifest (subject excluded)."""
    out = [Descriptor.from_json(doc["config"])] if doc.get("config") else []
    return out + [Descriptor.from_json(d) for d in doc.get("layers") or []]


def describe_index(node: Node) -> dict[str, Any]:
    """What `inspect --json` prints for an index: its digest and, per entry, platform and manifest digest."""
    return {
        "digest": str(node.digest),
        "mediaType": node.media_type,
        "size": len(node.data),
        "manifests": [
            {"platform": str(c.descriptor.platform) if c.descriptor.platform else None,
             "digest": str(c.digest), "mediaType": c.media_type, "size": c.descriptor.size,
             **({"manifests": describe_index(c)["manifests"]} if c.is_index else {})}
            for c in node.children
        ],
    }
