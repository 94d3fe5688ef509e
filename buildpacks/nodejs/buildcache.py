"""Build tools' caches kept between builds and left out of the image: `.next/cache`, package.json cacheDirectories.

Next.js writes its build cache (compiled modules, optimized images: tens of
MB) to `.next/cache` and warns "No build cache found" without it; `next start`
never reads it. Heroku keeps it when package.json lists it in
`cacheDirectories`. Here, for an app that depends on `next`, `.next/cache` is
restored from a cache-only layer before the install and the build script, and
saved after them, then removed from the app, so it never ships: the same
commit gives the same image whether the cache was there or not.

Other `cacheDirectories` entries are not taken: Heroku caches them *and*
ships them, and apps list directories they need at run time
(`client/node_modules`); taking one out of the image could make an image
that does not start, and shipping a restored one would make the image depend
on the cache. They are named in the log.

The layer is keyed like node_modules (the dependency set, Node.js version,
architecture) and by the directories: a committed entry never changes, so the
first build of a dependency set saves it and later builds with the same
dependencies start from it (the tools' caches are content-addressed and stay
valid as the app's code changes); a dependency change starts a new one.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import Any

from builder.buildpack.layers import new_layer
from builder.lifecycle.contract import LayerCache

from .runtime import BUILDPACK

NEXT_CACHE = ".next/cache"
LAYER = "build-cache"


def cache_dirs(package: Mapping[str, Any] | None) -> tuple[list[str], list[str]]:
    """(directories to keep, relative to the app; what was skipped and why) for `package` (package.json)."""
    package = package or {}
    dirs: list[str] = []
    skipped: list[str] = []
    if any(isinstance(package.get(f), dict) and "next" in package[f] for f in ("dependencies", "devDependencies")):
        dirs.append(NEXT_CACHE)
    listed = package.get("cacheDirectories")
    for entry in listed if isinstance(listed, list) else []:
        if not isinstance(entry, str) or not entry.strip():
            continue
        path = PurePosixPath(entry.strip())
        if path.is_absolute() or ".." in path.parts or str(path) == ".":
            skipped.append(f"{entry} (not a directory inside the app)")
        elif path.parts[0] == "node_modules":
            skipped.append(f"{entry} (node_modules is cached by the buildpack)")
        elif str(path) != NEXT_CACHE:
            skipped.append(f"{entry} (only build-only caches dockless knows, such as .next/cache, are kept: "
                           "this directory may be needed at run time)")
        elif NEXT_CACHE not in dirs:
            dirs.append(NEXT_CACHE)
    return dirs, skipped


@contextmanager
def kept(cache: LayerCache, app: Path, dirs: list[str], key: Mapping[str, str],
         log: Callable[[str], None]) -> Iterator[None]:
    """Restore `dirs` (relative to `app`) from the cache before the block and save them after it; they are
    removed from `app` either way, so they never ship. A block that raises saves nothing."""
    if not dirs:
        yield
        return
    meta = {**key, "dirs": hashlib.sha256("\0".join(dirs).encode()).hexdigest()[:16]}
    found = cache.restore(BUILDPACK, LAYER, meta)
    names = ", ".join(dirs)
    if found is not None:
        for rel in dirs:
            if (found / rel).is_dir():
                _remove(app / rel)
                (app / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copytree(found / rel, app / rel, symlinks=True)
        log(f"build cache: restored {names} (kept out of the image)")
    try:
        yield
    except BaseException:
        for rel in dirs:
            _remove(app / rel)
        raise
    present = [rel for rel in dirs if (app / rel).is_dir() and not (app / rel).is_symlink()]
    if found is None and present:
        def fill(fresh: Path) -> None:
            for rel in present:
                (fresh / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.move(str(app / rel), str(fresh / rel))

        new_layer(cache, BUILDPACK, LAYER, meta, fill)
        log(f"build cache: saved {', '.join(present)} for the next build (kept out of the image)")
    for rel in dirs:
        _remove(app / rel)


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.exists():
        shutil.rmtree(path)
