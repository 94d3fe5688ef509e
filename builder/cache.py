"""Where dockless keeps things between runs.

`--cache-dir`, else $DOCKLESS_CACHE_DIR, else the user's cache directory
(~/.cache/dockless on Linux). Everything under it is safe to delete.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import platformdirs


def cache_root(explicit: str | None, env: Mapping[str, str]) -> Path:
    value = explicit or env.get("DOCKLESS_CACHE_DIR")
    root = Path(value).expanduser() if value else Path(platformdirs.user_cache_dir("dockless"))
    root.mkdir(parents=True, exist_ok=True)
    return root
