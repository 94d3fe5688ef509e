"""Debian packages buildpacks ask for: added to the build root (build) or as an image layer (launch).

(Being written: see the lifecycle's `Packages` contract.)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from builder.errors import BuildError
from builder.image.blobs import BlobStore
from builder.image.image import Image
from builder.image.layer import Layer
from builder.stack.debian import Archive

from .packagelayer import package_layer


def extend_build_root(cache_root: Path, archive: Archive, base_root: Path | None, packages: Sequence[str], *,
                      log: Callable[[str], None]) -> Path:
    raise BuildError("build packages are not supported yet", "")


def launch_package_layer(archive: Archive, names: Sequence[str], *, store: BlobStore, base: Image,
                         log: Callable[[str], None]) -> Layer:
    log(f"launch packages: {', '.join(names)}")
    return package_layer(archive, names, store=store, base=base)
