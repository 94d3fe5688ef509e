"""Test doubles for the buildpack contract: a host executor and a directory layer cache.

The real executor (builder/sandbox) runs commands in a rootfs sandbox where the
workspace is /workspace and each Mount appears at its target. On the host the
same commands run with those container paths rewritten to the host directories,
in argv, env values and cwd, which is enough for npm, pnpm and yarn.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from builder.errors import BuildError
from builder.lifecycle.contract import WORKSPACE, Mount


@dataclass
class HostExecutor:
    """Runs build commands on the host, mapping container paths to host paths; records every call."""

    workspace: Path
    calls: list[tuple[str, list[str]]] = field(default_factory=list)

    def run(self, argv: Sequence[str], *, what: str, cwd: str = WORKSPACE,
            env: Mapping[str, str] | None = None, mounts: Sequence[Mount] = ()) -> subprocess.CompletedProcess[str]:
        table = sorted([(m.target, str(m.host)) for m in mounts] + [(WORKSPACE, str(self.workspace))],
                       key=lambda pair: len(pair[0]), reverse=True)

        def host(value: str) -> str:
            for target, path in table:
                value = value.replace(target, path)
            return value

        args = [host(a) for a in argv]
        self.calls.append((what, list(argv)))
        proc = subprocess.run(args, cwd=host(cwd), env={k: host(v) for k, v in (env or {}).items()},
                              capture_output=True, text=True, timeout=600)
        if proc.returncode != 0:
            tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-30:])
            raise BuildError(f"{what} failed with exit code {proc.returncode}: {tail}")
        return proc


@dataclass
class DirLayerCache:
    """LayerCache on a directory: <root>/<buildpack>/<name>/<sha256 of metadata>, committed by rename."""

    root: Path

    def _final(self, buildpack: str, name: str, metadata: Mapping[str, str]) -> Path:
        key = hashlib.sha256(json.dumps(dict(metadata), sort_keys=True).encode()).hexdigest()[:32]
        return self.root / buildpack / name / key

    def restore(self, buildpack: str, name: str, metadata: Mapping[str, str]) -> Path | None:
        path = self._final(buildpack, name, metadata)
        return path if path.is_dir() else None

    def create(self, buildpack: str, name: str) -> Path:
        path = self.root / ".tmp" / f"{buildpack}-{name}-{uuid.uuid4().hex}"
        path.mkdir(parents=True)
        return path

    def commit(self, buildpack: str, name: str, metadata: Mapping[str, str], path: Path) -> Path:
        final = self._final(buildpack, name, metadata)
        final.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.rename(path, final)
        except OSError:
            shutil.rmtree(path, ignore_errors=True)  # someone committed first: theirs wins
        return final

    def committed(self) -> list[str]:
        """'<buildpack>/<name>' of every committed entry."""
        return sorted(str(p.parent.relative_to(self.root)) for p in self.root.glob("*/*/*") if p.is_dir()
                      and not p.relative_to(self.root).parts[0].startswith("."))

    def pending(self) -> list[Path]:
        """Directories created and never committed (a failed install must leave none)."""
        tmp = self.root / ".tmp"
        return sorted(tmp.iterdir()) if tmp.is_dir() else []


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
