"""Which directory is the site, and what of the workspace ships with it.

A site of files (detector mode "files") is the directory the detector named.
After a Node.js build (mode "node-build") it is the first of the candidate
output directories (dist/, build/, out/, public/) holding an index.html the
build wrote: one that was not in the source, or whose content the build
changed. A template kept in the source (Create React App's public/index.html)
is not a site until something builds it.

Only the site ships: every other path of the workspace is an app exclude, so
the sources, package.json, node_modules and the build's caches stay out of
the image.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from pathlib import Path

from builder.errors import BuildError

INDEX = "index.html"
WELL_KNOWN = ".well-known"


def find_site(app: Path, requires: Mapping[str, str]) -> str:
    """The site directory relative to `app` ("." for the app itself, "dist", …).

    `requires` is the detector's `static` metadata (mode, site, candidates,
    source_index). Raises BuildError (exit 5) when no candidate holds an
    index.html the build wrote, or when the site is not a directory.
    """
    if requires.get("mode") != "node-build":
        site = requires.get("site") or "."
        if not (app / site / INDEX).is_file():
            raise BuildError(f"{_shown(site)}index.html is gone: nothing to serve",
                             "keep index.html at the root of the site or in public/")
        return site
    candidates = [c for c in requires.get("candidates", "").split(",") if c]
    in_source = dict(entry.split("=", 1) for entry in requires.get("source_index", "").split(",") if "=" in entry)
    for candidate in candidates:
        index = app / candidate / INDEX
        if index.is_file() and not index.is_symlink() and _inside(app, app / candidate):
            if in_source.get(candidate) != hashlib.sha256(index.read_bytes()).hexdigest():
                return candidate
    shown = ", ".join(f"{c}/" for c in candidates)
    templates = [f"{c}/" for c in candidates if c in in_source]
    also = f" ({', '.join(templates)} only as in the source)" if templates else ""
    raise BuildError(f"the Node.js build wrote no index.html in {shown}{also}: nothing to serve",
                     "make the build script write the site to dist/ (Vite's default), build/ or out/")


def excludes(workspace: Path, app_dir: str, site: str) -> frozenset[str]:
    """The workspace paths (relative, '/'-separated) to leave out of the app layer so that only the site ships.

    For every directory on the way from the workspace to the site, its other
    entries are excluded: with app_dir "" and site "dist", every top-level
    entry but dist/. Inside the site, dot files and directories (`.env`,
    `.git*`, editor files) are left out too, except `.well-known/` (RFC 8615):
    the server refuses them, and the image must not carry them either.
    """
    parts = [p for p in f"{app_dir}/{site}".split("/") if p and p != "."]
    left_out: set[str] = set()
    here = workspace
    for depth, part in enumerate(parts):
        prefix = "/".join(parts[:depth])
        for entry in here.iterdir():
            if entry.name != part:
                left_out.add(f"{prefix}/{entry.name}" if prefix else entry.name)
        here = here / part
    site_prefix = "/".join(parts)
    for root, dirs, files in os.walk(here):
        rel = Path(root).relative_to(here).as_posix()
        for name in [*dirs, *files]:
            if name.startswith(".") and name != WELL_KNOWN:
                left_out.add("/".join(p for p in (site_prefix, rel, name) if p and p != "."))
        dirs[:] = [d for d in dirs if not d.startswith(".") or d == WELL_KNOWN]
    return frozenset(left_out)


def _inside(app: Path, path: Path) -> bool:
    """True when `path` resolves inside `app` (a symlinked output directory may point anywhere)."""
    return path.resolve().is_relative_to(app.resolve())


def _shown(site: str) -> str:
    return "" if site in ("", ".") else f"{site}/"
