"""Layer directories kept between builds, keyed by (buildpack, layer, metadata).

`<root>/<buildpack>/<layer>/<sha256 of metadata>/` holds a finished layer
directory. A new one is filled in a temp directory next to it and renamed
into place, so a build killed midway leaves only a temp dir (never a
half-filled layer under a real key), and two builds racing on the same key
both end up using one complete copy: the first rename wins, the loser's copy
is removed.

Because a committed entry never changes, facts derived from it (the digest of
the layer exported from it) can be remembered beside it (`recall` /
`remember`), so a reused layer is not even re-tarred to learn its digest.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

STALE_SECONDS = 24 * 3600


def metadata_key(metadata: Mapping[str, str]) -> str:
    return hashlib.sha256(json.dumps(dict(metadata), sort_keys=True).encode()).hexdigest()[:32]


class DirLayerCache:
    """The LayerCache of builder.lifecycle.contract, on a local directory."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def _dir(self, buildpack: str, name: str) -> Path:
        d = self.root / buildpack.replace("/", "_") / name  # an id may hold '/' (CNB escapes it as '_')
        d.mkdir(parents=True, exist_ok=True)
        return d

    def restore(self, buildpack: str, name: str, metadata: Mapping[str, str]) -> Path | None:
        path = self._dir(buildpack, name) / metadata_key(metadata)
        if path.is_dir():
            os.utime(path)  # recently used: a future pruner keeps it
            return path
        return None

    def create(self, buildpack: str, name: str) -> Path:
        parent = self._dir(buildpack, name)
        self._sweep(parent)
        return Path(tempfile.mkdtemp(dir=parent, prefix=".tmp-"))

    def commit(self, buildpack: str, name: str, metadata: Mapping[str, str], path: Path) -> Path:
        final = self._dir(buildpack, name) / metadata_key(metadata)
        (path / ".dockless-metadata.json").unlink(missing_ok=True)
        try:
            os.rename(path, final)
        except OSError:
            if not final.is_dir():
                raise
            shutil.rmtree(path, ignore_errors=True)  # another build committed the same key first
        return final

    def _committed(self, path: Path) -> Path | None:
        """`path` if it is a committed entry (immutable from here on), else None."""
        try:
            rel = Path(path).resolve().relative_to(self.root.resolve())
        except ValueError:
            return None
        if len(rel.parts) != 3 or rel.parts[2].startswith("."):
            return None
        return self.root / rel

    def recall(self, path: Path, key: str) -> dict[str, str] | None:
        """What was remembered about exporting this committed entry under `key` (e.g. its layer digest)."""
        entry = self._committed(path)
        if entry is None:
            return None
        memo = entry.parent / f".{entry.name}.memo" / f"{hashlib.sha256(key.encode()).hexdigest()[:32]}.json"
        try:
            data = json.loads(memo.read_text())
        except (FileNotFoundError, ValueError):
            return None
        return data if isinstance(data, dict) and data.get("key") == key else None

    def remember(self, path: Path, key: str, data: dict[str, str]) -> None:
        """Remember `data` about a committed entry; a no-op for directories that may still change."""
        entry = self._committed(path)
        if entry is None:
            return
        memo_dir = entry.parent / f".{entry.name}.memo"
        memo_dir.mkdir(exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=memo_dir, suffix=".tmp")
        with os.fdopen(fd, "w") as f:
            json.dump({**data, "key": key}, f)
        os.replace(tmp, memo_dir / f"{hashlib.sha256(key.encode()).hexdigest()[:32]}.json")

    @staticmethod
    def _sweep(parent: Path) -> None:
        cutoff = time.time() - STALE_SECONDS
        for tmp in parent.glob(".tmp-*"):
            try:
                if tmp.stat().st_mtime < cutoff:
                    shutil.rmtree(tmp, ignore_errors=True)
            except FileNotFoundError:
                pass
