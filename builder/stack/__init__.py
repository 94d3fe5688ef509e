"""The built-in Debian stack: run images and build root filesystems made from Debian packages.

    archive = open_archive(cache_root, client, suite="trixie")
    image = create_run_image(archive, store=store)                    # a reproducible run image
    image = default_run_image(cache_root, archive, ctx)               # the same, made once and cached
    rootfs = default_build_root(cache_root, archive)                  # a directory for the build sandbox
    layer = package_layer(archive, ["libvips42t64"], store=store, base=image)   # more packages, on top
    rootfs = extend.extend_build_root(cache_root, archive, rootfs, ["jq"], log=log)  # build packages, cached

Packages are unpacked without running their scripts; configure.py does what the scripts
would have done that matters in a container.
"""

from __future__ import annotations

from builder.stack.debian import DEFAULT_MIRROR, DEFAULT_SUITE, Archive

from .accounts import APP_USER, User
from .buildroot import BUILD_PACKAGES, build_rootfs
from .defaults import archive_client, default_build_root, default_run_image, open_archive
from .labels import installed_packages, stack_labels
from .packagelayer import package_layer
from .runimage import DEFAULT_RUN_PACKAGES, RUN_EXCLUDE, create_run_image
from .unpack import Trim

__all__ = [
    "APP_USER",
    "BUILD_PACKAGES",
    "DEFAULT_MIRROR",
    "DEFAULT_RUN_PACKAGES",
    "DEFAULT_SUITE",
    "RUN_EXCLUDE",
    "Archive",
    "Trim",
    "User",
    "archive_client",
    "build_rootfs",
    "create_run_image",
    "default_build_root",
    "default_run_image",
    "installed_packages",
    "open_archive",
    "package_layer",
    "stack_labels",
]
