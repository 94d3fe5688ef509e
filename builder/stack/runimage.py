"""The default run image: a handful of Debian packages, one reproducible layer, a non-root USER.

Like distroless, only what a dynamically linked runtime (node, python, a JVM) needs
at run time, plus dash as /bin/sh. Package scripts' needs that are gone once the
image is built — debconf, perl-base, openssl's CLI, awk for base-files' postinst,
debianutils — are treated as present and left out, which keeps the image near 30 MB.

Every input is pinned by the archive state: file contents by the signed index, file
times by `epoch`, the `created` time by the Release date; so the same archive gives
the same digest on any machine, on any day.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from builder.image.blobs import BlobStore
from builder.image.image import Image, make_image
from builder.image.layer import layer_from_entries
from builder.image.tarball import DEFAULT_EPOCH
from builder.stack.debian import Archive, Progress

from .accounts import APP_USER
from .certs import BUNDLE
from .labels import stack_labels
from .rootfs import assemble, resolve_request
from .sink import MemorySink

DEFAULT_RUN_PACKAGES = (
    "base-files", "netbase", "tzdata", "ca-certificates", "libc6",
    "libgcc-s1", "libstdc++6", "libssl3t64 | libssl3", "zlib1g", "dash",
    "libatomic1",  # Node.js >= 25 links it; 30 kB
)  # fmt: skip
RUN_EXCLUDE = ("debconf", "openssl", "perl-base", "mawk", "debianutils")
"""Pulled in only for maintainer scripts, which dockless does not run."""

PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
_OCI_ARCH = {"amd64": ("amd64", None), "arm64": ("arm64", "v8"), "armhf": ("arm", "v7"), "armel": ("arm", "v5"),
             "i386": ("386", None), "ppc64el": ("ppc64le", None), "s390x": ("s390x", None),
             "riscv64": ("riscv64", None)}  # fmt: skip


def create_run_image(
    archive: Archive,
    *,
    store: BlobStore,
    packages: Sequence[str] = DEFAULT_RUN_PACKAGES,
    add: Sequence[str] = (),
    exclude: Sequence[str] = RUN_EXCLUDE,
    epoch: int = DEFAULT_EPOCH,
    progress: Progress | None = None,
    log: Callable[[str], None] | None = None,
) -> Image:
    """The run image for `archive`'s suite: `packages` + `add` and their dependencies, minus `exclude`."""
    release = archive.release()
    resolved = resolve_request(archive, [*packages, *add], exclude)
    if log:
        size = sum(p.size for p in resolved)
        log(f"{len(resolved)} packages from {release.codename} ({size / 1e6:.1f} MB of .debs)")
    sink = MemorySink()
    assemble(archive, resolved, sink, progress=progress, log=log)
    layer = layer_from_entries(sink.entries(), store, epoch=epoch)
    created = release.date.strftime("%Y-%m-%dT%H:%M:%SZ")
    arch, variant = _OCI_ARCH.get(archive.arch, (archive.arch, None))
    config: dict[str, Any] = {
        "architecture": arch,
        "os": "linux",
        "created": created,
        "config": {
            "User": f"{APP_USER.uid}:{APP_USER.gid}",
            "Env": [f"PATH={PATH}", f"SSL_CERT_FILE=/{BUNDLE}"],
            "WorkingDir": APP_USER.home,
            "Cmd": ["/bin/sh"],
            "Labels": stack_labels(release, archive.arch, resolved),
        },
        "history": [
            {"created": created, "created_by": f"dockless stack create: {len(resolved)} Debian {release.codename} packages"}
        ],
    }
    if variant:
        config["variant"] = variant
    return make_image(config, [layer])
