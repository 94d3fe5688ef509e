"""Where unpacked package entries go: kept in memory for an image layer, or written into a directory.

Both sinks answer the few questions the configure step asks ("is there something at
this path, what kind, what are its bytes, which files lie under this directory"), so
the same code sets up a run image layer and the build root filesystem.
"""

from __future__ import annotations

import errno
import os
import posixpath
import shutil
import stat
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Protocol

from builder.image.tarball import Entry


class Sink(Protocol):
    """A root file system being assembled; paths are relative, POSIX, without a leading slash."""

    def add(self, entry: Entry) -> None:
        """Put `entry` at its path, replacing a file or link there (never a directory)."""

    def kind(self, path: str) -> str | None:
        """"file", "dir", "symlink" (hard links count as files), or None when nothing is there."""

    def read(self, path: str) -> bytes:
        """A regular file's bytes."""

    def files_under(self, prefix: str) -> list[str]:
        """Every regular file below the directory `prefix`, in no particular order."""

    def remove_dir(self, path: str) -> None:
        """Remove a directory and everything below it (to put a symlink in its place)."""


class MemorySink:
    """Entries held in memory: the run image and package layers, a few tens of megabytes."""

    def __init__(self) -> None:
        self._entries: dict[str, Entry] = {}

    def add(self, entry: Entry) -> None:
        if entry.kind == "hardlink":
            entry = self._hardlink(entry)
        self._entries[entry.path] = entry

    def _hardlink(self, entry: Entry) -> Entry:
        """A tar hard link must follow its target; when sorting would break that, store a copy."""
        target = self._entries.get(entry.link)
        if target is None or target.kind != "file":
            raise ValueError(f"hard link {entry.path} -> {entry.link}: no such file")
        if target.path < entry.path:
            return entry
        return replace(entry, kind="file", data=target.data, source=target.source, link="")

    def kind(self, path: str) -> str | None:
        entry = self._entries.get(path)
        if entry is None:
            return None
        return "file" if entry.kind == "hardlink" else entry.kind

    def read(self, path: str) -> bytes:
        entry = self._entries[path]
        if entry.kind == "hardlink":
            entry = self._entries[entry.link]
        if entry.data is not None:
            return entry.data
        assert entry.source is not None
        return entry.source.read_bytes()

    def files_under(self, prefix: str) -> list[str]:
        start = prefix.rstrip("/") + "/"
        return [p for p, e in self._entries.items() if p.startswith(start) and e.kind in ("file", "hardlink")]

    def remove_dir(self, path: str) -> None:
        start = path + "/"
        for key in [p for p in self._entries if p == path or p.startswith(start)]:
            del self._entries[key]

    def entries(self) -> list[Entry]:
        """Everything added, sorted by path."""
        return [self._entries[p] for p in sorted(self._entries)]


class DirSink:
    """Entries written into a host directory: the build root filesystem, several hundred megabytes.

    Owners are not kept (everything belongs to whoever runs dockless, so a non-root user
    can build and delete it); setuid/setgid bits are dropped; directories stay writable
    by their owner so the cache can always be removed.

    Paths resolve as in a chroot: a symlink met on the way (`var/run` → `/run`) is
    followed inside `root`, never out to the host's own `/run`. An existing file is
    unlinked before its replacement is written, never written in place, so a tree that
    starts as a hard-link copy of another (`builder.stack.extend`) never changes the
    original.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self._dirs: dict[str, Path] = {}  # resolved parent directories; cleared when links change

    def _host(self, path: str) -> Path:
        """Where `path` is on the host: its parent resolved inside the root, its last component as is."""
        parent, _, name = path.strip("/").rpartition("/")
        return (self._resolve(parent) if parent else self.root) / name

    def _resolve(self, path: str) -> Path:
        """`path` with every symlink followed inside the root (absolute targets start from the root)."""
        found = self._dirs.get(path)
        if found is not None:
            return found
        todo = [p for p in path.split("/") if p not in ("", ".")]
        done: list[str] = []
        hops = 0
        while todo:
            part = todo.pop(0)
            if part == "..":
                if done:
                    done.pop()
                continue
            here = self.root.joinpath(*done, part)
            if not here.is_symlink():
                done.append(part)
                continue
            hops += 1
            if hops > 40:
                raise OSError(errno.ELOOP, "too many levels of symbolic links", str(self.root / path))
            target = os.readlink(here)
            if target.startswith("/"):
                done = []
            todo = [p for p in target.split("/") if p not in ("", ".")] + todo
        self._dirs[path] = found = self.root.joinpath(*done)
        return found

    def add(self, entry: Entry) -> None:
        host = self._host(entry.path)
        host.parent.mkdir(parents=True, exist_ok=True)
        if entry.kind == "dir":
            if host.is_symlink() and self._resolve(entry.path).is_dir():
                return  # dpkg keeps a symlink to a directory where a package ships the directory
            if host.is_symlink() or (host.exists() and not host.is_dir()):
                self._forget(host)
            if not host.is_dir():
                host.mkdir()
            os.chmod(host, (entry.mode & 0o1777) | 0o700)
            return
        if host.is_dir() and not host.is_symlink():
            raise IsADirectoryError(errno.EISDIR, "a directory is in the way", str(host))
        if host.is_symlink() or host.exists():
            self._forget(host)
        if entry.kind == "symlink":
            self._dirs.clear()
            os.symlink(entry.link, host)
        elif entry.kind == "hardlink":
            os.link(self._host(entry.link), host)
        else:
            data = entry.data if entry.data is not None else (entry.source.read_bytes() if entry.source else b"")
            fd = os.open(host, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.chmod(host, entry.mode & 0o1777)

    def kind(self, path: str) -> str | None:
        try:
            mode = self._host(path).lstat().st_mode
        except (FileNotFoundError, NotADirectoryError):
            return None
        if stat.S_ISLNK(mode):
            return "symlink"
        return "dir" if stat.S_ISDIR(mode) else "file"

    def read(self, path: str) -> bytes:
        return self._host(path).read_bytes()

    def files_under(self, prefix: str) -> list[str]:
        return list(self._walk(prefix.strip("/")))

    def remove_dir(self, path: str) -> None:
        shutil.rmtree(self._host(path))
        self._dirs.clear()

    def _forget(self, host: Path) -> None:
        """Unlink what is at `host` (a hard link's other names keep their bytes)."""
        if host.is_symlink():
            self._dirs.clear()
        host.unlink()

    def _walk(self, prefix: str) -> Iterator[str]:
        for dirpath, _, filenames in os.walk(self._resolve(prefix)):
            rel = os.path.relpath(dirpath, self.root)
            for name in filenames:
                if not os.path.islink(os.path.join(dirpath, name)):
                    yield posixpath.join(rel, name)
