"""Helpers for the Node.js tests, around the production classes (never copies of them).

Builds run through `builder.sandbox`'s HostExecutor (as in host fallback: an
unprivileged CI or Tekton pod), wrapped to record each call, and cache layers
in `builder.lifecycle.layercache.DirLayerCache`.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from builder.lifecycle.contract import WORKSPACE, Executor, Mount
from builder.lifecycle.layercache import DirLayerCache
from builder.sandbox import select_executor


class RecordingExecutor:
    """An Executor that records (what, argv) of every call, then hands it to the real executor."""

    def __init__(self, inner: Executor) -> None:
        self.inner = inner
        self.calls: list[tuple[str, list[str]]] = []

    def run(self, argv: Sequence[str], *, what: str, cwd: str = WORKSPACE, env: Mapping[str, str] | None = None,
            mounts: Sequence[Mount] = ()) -> subprocess.CompletedProcess[str]:
        self.calls.append((what, list(argv)))
        return self.inner.run(argv, what=what, cwd=cwd, env=env, mounts=mounts)


def host_executor(workspace: Path, environ: Mapping[str, str] | None = None) -> RecordingExecutor:
    """The production host executor for `workspace` (trust and PATH from `environ`, default os.environ), recorded."""
    return RecordingExecutor(select_executor(None, workspace, env=os.environ if environ is None else environ,
                                             mode="host"))


def committed(cache: DirLayerCache) -> list[str]:
    """'<buildpack>/<name>' of every committed entry of `cache`."""
    return sorted({str(p.parent.relative_to(cache.root)) for p in cache.root.glob("*/*/*")
                   if p.is_dir() and not p.name.startswith(".")})


def pending(cache: DirLayerCache) -> list[Path]:
    """Directories created and never committed (a failed install must leave none)."""
    return sorted(cache.root.glob("*/*/.tmp-*"))


def tree_digest(root: Path) -> str:
    """A digest of every path, mode, symlink target and file content under `root`."""
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        st = path.lstat()
        digest.update(f"{rel}\0{st.st_mode:o}\0".encode())
        if path.is_symlink():
            digest.update(os.readlink(path).encode())
        elif path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()
