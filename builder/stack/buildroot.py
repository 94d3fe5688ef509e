"""The build root filesystem: the run image's packages plus the tools builds call.

Native npm modules (node-gyp) need python3, make, sed and a C++ compiler, and install
scripts commonly reach for bash, git, tar and gzip. The packages are unpacked into a
plain directory that the sandbox binds read-only as `/`; nothing in it runs as root
and nothing in it needs to, so no maintainer scripts are emulated beyond configure.py.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from builder.stack.debian import Archive, Progress

from .configure import Setup, configure
from .rootfs import resolve_request
from .runimage import DEFAULT_RUN_PACKAGES
from .sink import DirSink
from .unpack import unpack

BUILD_PACKAGES = (*DEFAULT_RUN_PACKAGES, "bash", "coreutils", "findutils", "tar", "gzip", "xz-utils", "git", "python3",
                  "make", "g++", "sed", "grep", "diffutils")  # fmt: skip
"""node-gyp's generated Makefiles call sed; configure scripts want grep, cmp and xz."""


def build_rootfs(
    archive: Archive,
    target: Path,
    *,
    packages: tuple[str, ...] = BUILD_PACKAGES,
    progress: Progress | None = None,
    log: Callable[[str], None] | None = None,
) -> None:
    """Unpack `packages` and their dependencies into the new directory `target`, ready to be `/`."""
    resolved = resolve_request(archive, packages, ())
    if log:
        log(f"build root: {len(resolved)} packages ({sum(p.size for p in resolved) / 1e6:.0f} MB of .debs)")
    paths = archive.fetch(resolved, progress=progress)
    sink = DirSink(target)
    installed = unpack(list(zip(resolved, paths)), sink)
    configure(sink, installed, Setup(mount_points=True))
