"""More Debian packages as one layer on top of a stack image, for buildpacks that need system libraries.

The base image's own packages (from its labels) count as installed, so only what is
missing is added; the layer records its packages the distroless way
(`/var/lib/dpkg/status.d/<pkg>`) so scanners see them without the base's status file
being rewritten.
"""

from __future__ import annotations

from collections.abc import Sequence

from builder.image.blobs import BlobStore
from builder.image.image import Image
from builder.image.layer import Layer, layer_from_entries
from builder.image.tarball import DEFAULT_EPOCH
from builder.stack.debian import Archive, Package

from .dpkgdb import write_dpkg_status_d
from .labels import installed_packages
from .rootfs import resolve_request
from .runimage import RUN_EXCLUDE
from .sink import MemorySink
from .unpack import Trim, unpack


def packages_to_add(archive: Archive, names: Sequence[str], base: Image | None = None) -> list[Package]:
    """The closure of `names` minus what `base` (a dockless stack image) already has."""
    present = installed_packages((base.config.get("config") or {}).get("Labels") or {}) if base else {}
    return resolve_request(archive, names, [*present, *RUN_EXCLUDE])


def package_layer(
    archive: Archive,
    names: Sequence[str],
    *,
    store: BlobStore,
    base: Image | None = None,
    trim: Trim = Trim(),
    epoch: int = DEFAULT_EPOCH,
) -> Layer:
    """A reproducible layer holding `names` and whatever they need that `base` lacks."""
    return layer_of_packages(archive, packages_to_add(archive, names, base), store=store, trim=trim, epoch=epoch)


def layer_of_packages(archive: Archive, packages: Sequence[Package], *, store: BlobStore, trim: Trim = Trim(),
                      epoch: int = DEFAULT_EPOCH) -> Layer:
    """A reproducible layer holding exactly `packages` (already resolved), with their distroless status files."""
    paths = archive.fetch(packages)
    sink = MemorySink()
    installed = unpack(list(zip(packages, paths)), sink, trim=trim)
    write_dpkg_status_d(sink, installed)
    return layer_from_entries(sink.entries(), store, epoch=epoch)
