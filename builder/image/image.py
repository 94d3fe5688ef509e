"""The image value: raw manifest + raw config + layers, immutable.

Raw bytes are the source of truth so a copy keeps the manifest digest
byte-for-byte; parsed views are derived lazily. New images are made with
`make_image` (canonical JSON), and changed with the pure functions in
`builder.image.mutate`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from builder.errors import UsageError
from builder.image.digest import Digest
from builder.image.layer import Layer
from builder.image.media import (
    DOCKER_CONFIG,
    DOCKER_MANIFEST,
    OCI_CONFIG,
    OCI_MANIFEST,
    TO_DOCKER,
    TO_OCI,
    Descriptor,
    Platform,
)


def canonical_json(obj: Any) -> bytes:
    """Compact JSON with sorted keys: the same value always gives the same digest."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass(frozen=True)
class Image:
    """An image: the exact manifest and config bytes, and its layers (lazily readable)."""

    manifest_bytes: bytes
    config_bytes: bytes
    layers: tuple[Layer, ...] = field(default=())

    @cached_property
    def manifest(self) -> dict[str, Any]:
        manifest: dict[str, Any] = json.loads(self.manifest_bytes)
        return manifest

    @cached_property
    def config(self) -> dict[str, Any]:
        config: dict[str, Any] = json.loads(self.config_bytes)
        return config

    @property
    def digest(self) -> Digest:
        return Digest.of(self.manifest_bytes)

    @property
    def media_type(self) -> str:
        return self.manifest.get("mediaType") or OCI_MANIFEST

    @property
    def config_descriptor(self) -> Descriptor:
        return Descriptor.from_json(self.manifest["config"])

    @property
    def platform(self) -> Platform:
        c = self.config
        return Platform(c.get("os", "linux"), c.get("architecture", "amd64"), c.get("variant"))

    @property
    def diff_ids(self) -> tuple[Digest, ...]:
        return tuple(layer.diff_id for layer in self.layers)

    def descriptor(self) -> Descriptor:
        return Descriptor(self.media_type, self.digest, len(self.manifest_bytes))


def make_image(config: Mapping[str, Any], layers: Iterable[Layer], media_type: str = OCI_MANIFEST,
               annotations: Mapping[str, str] | None = None) -> Image:
    """Serialise a config and layers into a new image, setting rootfs.diff_ids."""
    layer_list = tuple(layers)
    cfg = dict(config)
    cfg["rootfs"] = {"type": "layers", "diff_ids": [str(layer.diff_id) for layer in layer_list]}
    return image_from_config(canonical_json(cfg), layer_list, media_type, annotations)


def image_from_config(config_bytes: bytes, layers: Iterable[Layer], media_type: str = OCI_MANIFEST,
                      annotations: Mapping[str, str] | None = None) -> Image:
    """An image around a raw config, kept byte for byte (so the image ID holds).

    Used directly where a medium stores no manifest (docker-archive, the
    daemon). Layer media types are translated into the manifest's family (OCI
    or Docker v2.2) so a Docker-based run image stays a valid Docker manifest.
    """
    if media_type not in (OCI_MANIFEST, DOCKER_MANIFEST):
        raise UsageError(f"cannot write a manifest of type {media_type}")
    family = TO_DOCKER if media_type == DOCKER_MANIFEST else TO_OCI
    fixed = tuple(
        Layer(replace(l.descriptor, media_type=family.get(l.media_type, l.media_type)),
              l.diff_id, l.opener, l.origin)
        for l in layers
    )
    manifest: dict[str, Any] = {
        "schemaVersion": 2,
        "mediaType": media_type,
        "config": {
            "mediaType": DOCKER_CONFIG if media_type == DOCKER_MANIFEST else OCI_CONFIG,
            "digest": str(Digest.of(config_bytes)),
            "size": len(config_bytes),
        },
        "layers": [l.descriptor.to_json() for l in fixed],
    }
    if annotations:
        manifest["annotations"] = dict(annotations)
    return Image(canonical_json(manifest), config_bytes, fixed)


def validate(image: Image) -> None:
    """Check the invariants every writer relies on; raises UsageError."""
    m = image.manifest
    if m.get("schemaVersion") != 2 or "config" not in m:
        raise UsageError("the manifest is not a schema 2 image manifest")
    if image.config_descriptor.digest != Digest.of(image.config_bytes):
        raise UsageError("the config blob does not match the manifest's config digest")
    diff_ids = image.config.get("rootfs", {}).get("diff_ids", [])
    if len(diff_ids) != len(image.layers) or len(m.get("layers", [])) != len(image.layers):
        raise UsageError("the number of layers does not match the config's diff_ids")
    for desc_json, layer, diff in zip(m["layers"], image.layers, diff_ids):
        if Digest.parse(desc_json["digest"]) != layer.digest or Digest.parse(diff) != layer.diff_id:
            raise UsageError(f"layer {layer.digest.short} does not match the manifest")
