"""Where dockless keeps things between runs.

`--cache-dir`, else $DOCKLESS_CACHE_DIR, else the user's cache directory
(~/.cache/dockless on Linux). Everything under it is safe to delete.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import platformdirs

from builder.errors import UsageError


def cache_root(explicit: str | None, env: Mapping[str, str]) -> Path:
    """The cache directory, made if missing; UsageError (exit 2) when it cannot be a writable directory."""
    value = explicit or env.get("DOCKLESS_CACHE_DIR")
    where = "--cache-dir" if explicit else "DOCKLESS_CACHE_DIR" if value else "the default cache directory"
    root = Path(value).expanduser() if value else Path(platformdirs.user_cache_dir("dockless"))
    if root.exists() and not root.is_dir():
        raise _unusable(root, where, "it is a file, not a directory")
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _unusable(root, where, exc.strerror or str(exc)) from None
    if not os.access(root, os.W_OK | os.X_OK):
        raise _unusable(root, where, "it is not writable")
    return root


def _unusable(root: Path, where: str, why: str) -> UsageError:
    return UsageError(f"cannot use {root} as the cache ({where}): {why}",
                      "point --cache-dir or DOCKLESS_CACHE_DIR at a directory this user can write")
