"""The default stack, as later builds use it: made on first use and kept in the dockless cache.

A call checks the suite's signed Release (one small download), at most once an hour per
stack, and reuses the cached stack when the archive has not moved. With no network at all, the newest cached stack
is used and the caller is told so; with no network and nothing cached, the error says why.
"""

from __future__ import annotations

import json
import ssl
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from builder.errors import StackError
from builder.image.image import Image
from builder.reference import LayoutRef
from builder.stack.debian import DEFAULT_MIRROR, DEFAULT_SUITE, Archive, Progress
from builder.context import Context
from builder.transport import read_image, write_image

from .buildroot import BUILD_PACKAGES, build_rootfs
from .runimage import DEFAULT_RUN_PACKAGES, RUN_EXCLUDE, create_run_image
from .stackcache import Cached, ensure, newest, recently_checked, release_or_offline, remember_check, stack_key

Log = Callable[[str], None]
_TAG = "run"
CHECK_EVERY = 3600.0  # seconds a checked stack is reused before InRelease is fetched again


def open_archive(
    cache_root: Path, client: httpx.Client | Callable[[], httpx.Client], *, suite: str = DEFAULT_SUITE, arch: str = "amd64",
    mirror: str = DEFAULT_MIRROR,
) -> Archive:  # fmt: skip
    """The Archive the stacks use, with its downloads under `<cache>/debian`."""
    return Archive(cache_root / "debian", client, mirror=mirror, suite=suite, arch=arch)


def default_run_image(
    cache_root: Path, archive: Archive, ctx: Context, *, log: Log | None = None, progress: Progress | None = None
) -> Image:
    """The default run image for `archive`'s suite, from the cache or made now (and cached)."""
    base = cache_root / "stacks" / f"{archive.suite}-{archive.arch}"

    def make(directory: Path) -> None:
        image = create_run_image(archive, store=ctx.store, progress=progress, log=log)
        write_image(image, LayoutRef(str(directory / "oci"), _TAG), ctx)

    cached = cached_stack(base, archive, DEFAULT_RUN_PACKAGES, RUN_EXCLUDE, make, log)
    return read_image(LayoutRef(str(cached.path / "oci"), _TAG), ctx)


def default_build_root(
    cache_root: Path, archive: Archive, *, log: Log | None = None, progress: Progress | None = None
) -> Path:
    """The build root filesystem for `archive`'s suite (a directory to bind read-only as `/`)."""
    base = cache_root / "stacks" / f"{archive.suite}-{archive.arch}-build"

    def make(directory: Path) -> None:
        build_rootfs(archive, directory / "rootfs", progress=progress, log=log)

    return cached_stack(base, archive, BUILD_PACKAGES, (), make, log).path / "rootfs"


def archive_client(mirror: str = DEFAULT_MIRROR, *, ca_file: str | None = None) -> httpx.Client:
    """The HTTP client for a Debian mirror.

    Integrity comes from the signed InRelease and the SHA256s it lists, not
    from TLS, so a plain-http mirror (Debian's default) needs no CA bundle;
    an https mirror is verified against `ca_file` or the system bundle.
    """
    verify: ssl.SSLContext | bool = False
    if mirror.startswith("https://"):
        verify = ssl.create_default_context(cafile=ca_file) if ca_file else ssl.create_default_context()
    return httpx.Client(timeout=httpx.Timeout(60, connect=20), verify=verify, follow_redirects=True)


def cached_stack(
    base: Path, archive: Archive, packages: tuple[str, ...], exclude: tuple[str, ...],
    make: Callable[[Path], None], log: Log | None, max_age: float = CHECK_EVERY,
) -> Cached:  # fmt: skip
    """The stack under `base` for this archive state, `make(empty_dir)` filling it the first time.

    The archive is re-checked at most every `max_age` seconds; offline, the newest
    cached one is used (and `log` told), else StackError.
    """
    request = json.dumps([archive.mirror, archive.suite, archive.arch, sorted(packages), sorted(exclude)])
    now = time.time()
    recent = recently_checked(base, request, max_age, now)
    if recent is not None:
        return recent
    release = release_or_offline(archive)
    if release is None:
        found = newest(base)
        if found is None:
            raise StackError(
                f"the Debian mirror {archive.mirror} cannot be reached and no {archive.suite} stack is cached",
                "connect to the network once so dockless can make the stack, or pass --run-image",
            )
        if log:
            log(f"offline: using the cached {found.suite} stack of {found.release_date[:10]}")
        return found
    cached = ensure(base, stack_key(archive, release, packages, exclude), release, make)
    remember_check(base, request, cached, now)
    return cached
