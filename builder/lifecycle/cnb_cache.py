"""Cache layers of an external (CNB) buildpack between builds, as the CNB restorer and exporter do.

Before bin/build runs, each layer that was `cache = true` in the previous build
is put back in the layers directory: its contents as `<layer>/`, and a
`<layer>.toml` holding only its `[metadata]` — no `[types]`, so a buildpack that
does not set them again drops the layer (Buildpack API 0.10, "Build": restored
layer content metadata "SHALL NOT contain launch, build, or cache booleans").
The buildpack compares the metadata and decides whether to reuse the contents.

After bin/build, every `cache = true` layer is kept in the LayerCache under its
metadata plus a signature of its file tree (paths, sizes, modes, mtimes), so a
buildpack that changes a layer without changing its metadata still gets the
new contents next time. Which layers (and metadata) the last build left is
recorded in a small index beside the downloads cache, because the LayerCache
is looked up by metadata and the restorer has to know it beforehand.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from builder.lifecycle.cnb_toml import stringify, write_toml
from builder.lifecycle.contract import LayerCache


@dataclass(frozen=True)
class CacheLayer:
    """A `cache = true` layer a build left: its directory and its `[metadata]` as written."""

    name: str
    path: Path
    metadata: Mapping[str, Any]


class CnbCache:
    """The restorer and the cache exporter of one external buildpack."""

    def __init__(self, cache: LayerCache, index_dir: Path, buildpack: str, escaped: str) -> None:
        self.cache = cache
        self.buildpack = buildpack
        self.index = index_dir / f"{escaped}.json"

    def restore(self, layers_dir: Path) -> list[str]:
        """Put the previous build's cache layers (contents + metadata-only toml) in `layers_dir`; their names."""
        restored = []
        for name, entry in sorted(self._read_index().items()):
            found = self.cache.restore(self.buildpack, name, entry["key"])
            if found is None:
                continue
            shutil.copytree(found, layers_dir / name, symlinks=True)
            (layers_dir / f"{name}.toml").write_text(write_toml({"metadata": entry["metadata"]}), encoding="utf-8")
            restored.append(name)
        return restored

    def keep(self, layers: Sequence[CacheLayer]) -> None:
        """Commit each layer (unless an identical one is cached) and record them for the next restore."""
        index: dict[str, dict[str, Any]] = {}
        for layer in layers:
            key = {**stringify(layer.metadata), "dockless.tree": tree_signature(layer.path)}
            if self.cache.restore(self.buildpack, layer.name, key) is None:
                fresh = self.cache.create(self.buildpack, layer.name)
                try:
                    shutil.copytree(layer.path, fresh, symlinks=True, dirs_exist_ok=True)
                except BaseException:
                    shutil.rmtree(fresh, ignore_errors=True)
                    raise
                self.cache.commit(self.buildpack, layer.name, key, fresh)
            index[layer.name] = {"key": key, "metadata": json.loads(json.dumps(layer.metadata, default=str))}
        self.index.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.index.parent, suffix=".tmp")
        with os.fdopen(fd, "w") as f:
            json.dump(index, f, sort_keys=True)
        os.replace(tmp, self.index)

    def _read_index(self) -> dict[str, dict[str, Any]]:
        try:
            data = json.loads(self.index.read_text())
        except (FileNotFoundError, ValueError):
            return {}
        return {k: v for k, v in data.items() if isinstance(v, dict) and isinstance(v.get("key"), dict)} \
            if isinstance(data, dict) else {}


def tree_signature(root: Path) -> str:
    """A digest of a directory tree's paths, types, sizes, modes and mtimes (not its bytes: cheap)."""
    digest = hashlib.sha256()
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted([*dirnames, *filenames]):
            path = Path(dirpath) / name
            st = path.lstat()
            rel = path.relative_to(root).as_posix()
            link = os.readlink(path) if path.is_symlink() else ""
            digest.update(f"{rel}\0{st.st_mode}\0{st.st_size}\0{st.st_mtime_ns}\0{link}\n".encode())
    return digest.hexdigest()[:32]
