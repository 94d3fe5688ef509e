"""Cached layers: restore the directory a build made before, or make it once and keep it.

The lifecycle's LayerCache (`builder.lifecycle.contract`) has three steps:
`restore` (a committed directory with exactly this metadata), `create` (a fresh
empty directory) and `commit` (publish it atomically under its metadata). Every
buildpack strings them together the same way, and the one rule that matters is
easy to miss: if filling the fresh directory fails (a download is refused, an
archive is unsafe, the build is interrupted), the directory is removed, so a
half-made layer is never committed and the next build starts clean.

    path, reused = cached_layer(ctx.cache, "ruby", "gems", {"lock": digest}, fill=install_gems)
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Mapping
from pathlib import Path

from builder.lifecycle.contract import LayerCache

Fill = Callable[[Path], None]
"""Fills a fresh, empty layer directory (host path) with what the layer holds."""


def new_layer(cache: LayerCache, buildpack: str, name: str, metadata: Mapping[str, str], fill: Fill) -> Path:
    """Create, fill and commit layer `name` under `metadata`; the committed path.

    Whatever `fill` raises (BaseException included: Ctrl-C) propagates after
    the fresh directory is removed; nothing is committed.
    """
    fresh = cache.create(buildpack, name)
    try:
        fill(fresh)
    except BaseException:
        shutil.rmtree(fresh, ignore_errors=True)
        raise
    return cache.commit(buildpack, name, metadata, fresh)


def cached_layer(cache: LayerCache, buildpack: str, name: str, metadata: Mapping[str, str],
                 fill: Fill) -> tuple[Path, bool]:
    """(path, reused): the cached layer `name` with exactly `metadata`, else a new one `fill` made.

    `fill` runs only on a miss, so work it does (downloads, installs) is skipped
    on a hit. Errors as in `new_layer`.
    """
    found = cache.restore(buildpack, name, metadata)
    if found is not None:
        return found, True
    return new_layer(cache, buildpack, name, metadata, fill), False


def cached_layers(cache: LayerCache, buildpack: str, wanted: Mapping[str, Mapping[str, str]],
                  fill: Callable[[Mapping[str, Path]], None]) -> dict[str, tuple[Path, bool]]:
    """Several layers filled from one source (one download split in two): name -> (path, reused).

    `wanted` maps each layer name to its metadata. The ones already cached are
    restored; `fill` gets a fresh directory for each missing one (name -> path;
    it is not called when nothing is missing) and fills them in one pass. If it
    raises, every fresh directory is removed and none is committed; otherwise
    all are committed.
    """
    found = {name: cache.restore(buildpack, name, meta) for name, meta in wanted.items()}
    result = {name: (path, True) for name, path in found.items() if path is not None}
    missing = [name for name, path in found.items() if path is None]
    if not missing:
        return result
    fresh: dict[str, Path] = {}
    try:
        for name in missing:
            fresh[name] = cache.create(buildpack, name)
        fill(dict(fresh))
    except BaseException:
        for path in fresh.values():
            shutil.rmtree(path, ignore_errors=True)
        raise
    for name in missing:
        result[name] = (cache.commit(buildpack, name, wanted[name], fresh[name]), False)
    return {name: result[name] for name in wanted}
