"""Media types, platforms and descriptors: the vocabulary of manifests."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from builder.errors import NotFoundError, UsageError
from builder.image.decompress import Kind
from builder.image.digest import Digest

# OCI image-spec v1.1 (media-types.md) and Docker's image manifest v2 schema 2 spec.
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_EMPTY = "application/vnd.oci.empty.v1+json"  # the config of an artifact manifest
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"
OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
OCI_LAYER_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd"
OCI_NONDIST = "application/vnd.oci.image.layer.nondistributable.v1.tar"
OCI_NONDIST_GZIP = "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"
OCI_NONDIST_ZSTD = "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar"  # uncompressed; written by some tools
DOCKER_LAYER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip"
DOCKER_FOREIGN_LAYER = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
DOCKER_PLUGIN_CONFIG = "application/vnd.docker.plugin.v1+json"
DOCKER_SCHEMA1 = "application/vnd.docker.distribution.manifest.v1+json"
DOCKER_SCHEMA1_SIGNED = "application/vnd.docker.distribution.manifest.v1+prettyjws"

MANIFESTS = (OCI_MANIFEST, DOCKER_MANIFEST)
INDEXES = (OCI_INDEX, DOCKER_MANIFEST_LIST)
SCHEMA1 = (DOCKER_SCHEMA1, DOCKER_SCHEMA1_SIGNED)

# Layers the image may reference but registries should not be sent: the blob lives at `urls`
# (OCI image-spec layer.md "Non-distributable layers", deprecated in v1.1; Docker's foreign layers).
NONDISTRIBUTABLE = frozenset({OCI_NONDIST, OCI_NONDIST_GZIP, OCI_NONDIST_ZSTD, DOCKER_FOREIGN_LAYER})

# The compression of every layer media type both specs define.
LAYER_COMPRESSION: Mapping[str, Kind] = {
    OCI_LAYER: "none", OCI_NONDIST: "none", DOCKER_LAYER: "none",
    OCI_LAYER_GZIP: "gzip", OCI_NONDIST_GZIP: "gzip", DOCKER_LAYER_GZIP: "gzip", DOCKER_FOREIGN_LAYER: "gzip",
    OCI_LAYER_ZSTD: "zstd", OCI_NONDIST_ZSTD: "zstd",
}

# The equivalent media types when a manifest is rewritten in the other family.
TO_DOCKER = {OCI_MANIFEST: DOCKER_MANIFEST, OCI_CONFIG: DOCKER_CONFIG, OCI_LAYER_GZIP: DOCKER_LAYER_GZIP,
             OCI_NONDIST_GZIP: DOCKER_FOREIGN_LAYER, OCI_INDEX: DOCKER_MANIFEST_LIST}
TO_OCI = {v: k for k, v in TO_DOCKER.items()}


def is_gzip_layer(media_type: str) -> bool:
    return LAYER_COMPRESSION.get(media_type) == "gzip"


def is_nondistributable(media_type: str) -> bool:
    """True for OCI non-distributable and Docker foreign layers: never pushed, fetched from `urls`."""
    return media_type in NONDISTRIBUTABLE


@dataclass(frozen=True)
class Platform:
    """os/architecture[/variant] as in an image index."""

    os: str = "linux"
    architecture: str = "amd64"
    variant: str | None = None

    @classmethod
    def parse(cls, text: str) -> Platform:
        parts = text.split("/")
        if len(parts) not in (2, 3) or not all(parts):
            raise UsageError(f"'{text}' is not a platform", "use OS/ARCH[/VARIANT], e.g. linux/amd64")
        return cls(parts[0], parts[1], parts[2] if len(parts) == 3 else None)

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Platform:
        return cls(d.get("os", ""), d.get("architecture", ""), d.get("variant") or None)

    @classmethod
    def host(cls) -> Platform:
        """The platform this machine runs natively (what a build sandbox can execute)."""
        import platform

        machine = platform.machine().lower()
        return cls("linux", {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm"}.get(machine, machine))

    def matches(self, other: Platform) -> bool:
        """True when `other` (an index entry) satisfies this wanted platform."""
        if (self.os, self.architecture) != (other.os, other.architecture):
            return False
        return self.variant is None or self.variant == other.variant

    def to_json(self) -> dict[str, str]:
        d = {"architecture": self.architecture, "os": self.os}
        if self.variant:
            d["variant"] = self.variant
        return d

    def __str__(self) -> str:
        return "/".join(p for p in (self.os, self.architecture, self.variant) if p)


@dataclass(frozen=True)
class Descriptor:
    """A pointer to a blob: what it is, its digest and size."""

    media_type: str
    digest: Digest
    size: int
    annotations: Mapping[str, str] = field(default_factory=dict)
    platform: Platform | None = None
    urls: tuple[str, ...] = ()  # where a non-distributable layer's blob may be fetched

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Descriptor:
        try:
            return cls(
                media_type=d.get("mediaType", ""),
                digest=Digest.parse(d["digest"]),
                size=int(d["size"]),
                annotations=dict(d.get("annotations") or {}),
                platform=Platform.from_json(d["platform"]) if d.get("platform") else None,
                urls=tuple(str(u) for u in d.get("urls") or ()),
            )
        except (KeyError, TypeError, ValueError) as e:
            raise UsageError(f"malformed descriptor {dict(d)!r}: {e}", "the manifest is not valid") from None

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {"mediaType": self.media_type, "digest": str(self.digest), "size": self.size}
        if self.annotations:
            d["annotations"] = dict(self.annotations)
        if self.platform:
            d["platform"] = self.platform.to_json()
        if self.urls:
            d["urls"] = list(self.urls)
        return d


# The variant an architecture has when none is written (containerd's platforms.Normalize):
# `linux/arm64` and `linux/arm64/v8` are the same platform.
_DEFAULT_VARIANT = {"arm64": "v8", "arm": "v7"}


def same_platform(wanted: Platform, actual: Platform) -> bool:
    """True when a single image of `actual` (its config's os/architecture/variant) is the `wanted` one.

    As `Platform.matches`, but an unwritten variant is the architecture's
    default on either side (containerd normalises arm64 to arm64/v8).
    """
    if (wanted.os, wanted.architecture) != (actual.os, actual.architecture):
        return False
    if wanted.variant is None:
        return True
    default = _DEFAULT_VARIANT.get(actual.architecture)
    return (actual.variant or default) == (wanted.variant or default)


def require_platform(actual: Platform, wanted: Platform, name: str, hint: str | None = None) -> None:
    """NotFoundError (exit 12, the same as `choose_platform` for an index) when the single image `name`,
    whose config says `actual`, is not `wanted`; `hint` replaces the default advice about --platform."""
    if not same_platform(wanted, actual):
        raise NotFoundError(f"{name} has no image for {wanted}: it is a single {actual} image, not an index",
                            hint or f"drop --platform, or give --platform {actual}")


def choose_platform(index: Mapping[str, Any], wanted: Platform, name: str) -> Descriptor:
    """The first index entry for `wanted` (`same_platform`: arm64 is arm64/v8); NotFoundError listing
    what the index offers."""
    entries = [Descriptor.from_json(m) for m in index.get("manifests") or []]
    for entry in entries:
        if entry.platform is not None and same_platform(wanted, entry.platform):
            return entry
    offered = sorted({str(e.platform) for e in entries if e.platform and e.platform.os != "unknown"})
    raise NotFoundError(f"{name} has no image for {wanted} (it has {', '.join(offered) or 'no platforms'})",
                        "choose one of those with --platform")
