"""Read an image from, or write it to, any of the four media by reference.

The sinks are interchangeable: `write_image(image, parse_reference(s), ctx)`
works the same for a registry, an OCI layout, a docker-archive tarball or a
Docker daemon. This is the only module that knows all four.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from builder.image.blobs import BlobStore
from builder.image.image import Image, validate
from builder.image.media import Platform
from builder.reference import ArchiveRef, DaemonRef, LayoutRef, Reference, RegistryRef

# (what, done, total) — total 0 when unknown. The CLI turns these into progress bars.
ProgressFn = Callable[[str, int, int], None]


def no_progress(what: str, done: int, total: int) -> None:
    """The default: say nothing."""


@dataclass(frozen=True)
class Context:
    """Everything a reader or writer needs besides the image; built once by the CLI."""

    store: BlobStore
    platform: Platform = field(default_factory=Platform)
    insecure_registries: frozenset[str] = frozenset()
    docker_config: Path | None = None
    progress: ProgressFn = no_progress
    # The process environment as the CLI saw it (credentials via HOME/DOCKER_CONFIG,
    # SSL_CERT_FILE, PATH for credential helpers); None = this process's own.
    environ: Mapping[str, str] | None = None


@dataclass(frozen=True)
class Written:
    """Where an image ended up: `pinned` is REPO@sha256:… for registries and daemons."""

    reference: Reference
    digest: str
    pinned: str


def read_image(ref: Reference, ctx: Context) -> Image:
    if isinstance(ref, RegistryRef):
        from builder.registry import read_registry

        return read_registry(ref, ctx)
    if isinstance(ref, LayoutRef):
        from builder.layout import read_layout

        return read_layout(ref, ctx)
    if isinstance(ref, ArchiveRef):
        from builder.archive import read_archive

        return read_archive(ref, ctx)
    from builder.daemon import read_daemon

    return read_daemon(ref, ctx)


def write_image(image: Image, ref: Reference, ctx: Context) -> Written:
    validate(image)
    if isinstance(ref, RegistryRef):
        from builder.registry import write_registry

        pinned = write_registry(image, ref, ctx)
        return Written(ref, str(image.digest), str(pinned))
    if isinstance(ref, LayoutRef):
        from builder.layout import write_layout

        write_layout(image, ref, ctx)
        return Written(ref, str(image.digest), f"{ref}@{image.digest}")
    if isinstance(ref, ArchiveRef):
        from builder.archive import write_archive

        write_archive(image, ref, ctx)
        return Written(ref, str(image.digest), f"{ref}@{image.digest}")
    assert isinstance(ref, DaemonRef)
    from builder.daemon import write_daemon

    pinned_ref = write_daemon(image, ref, ctx)
    return Written(ref, str(image.digest), pinned_ref)
