"""Unpack .deb data into a sink the way dpkg would place it, without running any package script.

Three things happen on the way: paths under `/bin`, `/sbin`, `/lib*` are moved into
`/usr` (Debian 13's merged /usr, whose top-level links base-files ships); docs, man
pages and translations are trimmed (copyright files stay); and two packages wanting
the same path are settled by a fixed rule — the package that declares `Replaces` on
the other wins, otherwise the first in name order keeps it — so the result never
depends on download or thread timing.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from builder.image.tarball import Entry
from builder.stack.debian import Deb, DebControl, DebEntry, Package
from builder.stack.debian.relation import parse_relations

from .sink import Sink

MERGED_DIRS = ("bin", "sbin", "lib", "lib32", "lib64", "libx32", "libo32")
"""Top-level directories that are symlinks into /usr on Debian 13."""


@dataclass(frozen=True)
class Trim:
    """What to leave out of an unpacked tree; the defaults follow distroless (copyright files stay)."""

    docs: bool = True
    man: bool = True
    locales: bool = True

    def drops(self, path: str) -> bool:
        parts = path.split("/")
        if len(parts) < 3 or parts[0] != "usr" or parts[1] != "share":
            return False
        area = parts[2]
        if area == "doc" and self.docs:
            # keep usr/share/doc/<pkg> itself (often a symlink) and its copyright file
            return len(parts) > 5 or (len(parts) == 5 and parts[4] != "copyright")
        if area in ("man", "info") and self.man:
            return True
        if area == "locale" and self.locales:
            return len(parts) > 3
        return area in ("lintian", "linda")


@dataclass(frozen=True)
class Installed:
    """One unpacked package: its control data and the paths it shipped that are now in the tree."""

    package: Package
    control: DebControl
    paths: tuple[str, ...]
    """As the package ships them (before the /usr move): the lines of its dpkg .list file."""


Log = Callable[[str], None]


def unpack(
    debs: Sequence[tuple[Package, Path]],
    sink: Sink,
    *,
    trim: Trim = Trim(),
    log: Log | None = None,
    workers: int = 2,
) -> list[Installed]:
    """Put every package's files into `sink`, in package-name order; returns what each installed."""
    ordered = sorted(debs, key=lambda pair: pair[0].name)
    owners: dict[str, _Owner] = {}
    installed = []
    for (package, _), (control, entries) in zip(ordered, _read_all([path for _, path in ordered], workers)):
        replaces = {rel.name for group in parse_relations(control.fields.get("Replaces", "")) for rel in group}
        paths = []
        for entry in entries:
            if trim.drops(usr_path(entry.path)):
                continue
            if _place(entry, package.name, replaces, sink, owners, log):
                paths.append(entry.path)
        installed.append(Installed(package, control, tuple(paths)))
    return installed


def usr_path(path: str) -> str:
    """Where a shipped path lands on merged /usr: `bin/ls` → `usr/bin/ls`; the top-level links stay."""
    top, sep, rest = path.partition("/")
    return f"usr/{top}/{rest}" if sep and top in MERGED_DIRS else path


@dataclass(frozen=True)
class _Owner:
    package: str
    kind: str


def _place(
    raw: DebEntry, package: str, replaces: set[str], sink: Sink, owners: dict[str, _Owner], log: Log | None
) -> bool:
    entry = _entry(raw)
    path = entry.path
    previous = owners.get(path)
    if previous is not None:
        if previous.kind == "dir" and entry.kind == "dir":
            return True  # shared directory: the first package's mode stays
        if previous.package == package or previous.kind == "dir" or entry.kind == "dir" or previous.package not in replaces:
            if log:
                log(f"{package}: /{path} is already provided by {previous.package}; keeping that one")
            return False
    if path in MERGED_DIRS and entry.kind == "dir":
        return True  # an old-style package's /bin directory: its files go to /usr/bin
    sink.add(entry)
    owners[path] = _Owner(package, entry.kind)
    return True


def _entry(raw: DebEntry) -> Entry:
    path = usr_path(raw.path)
    if raw.kind == "symlink":
        return Entry(path, "symlink", 0o777, raw.uid, raw.gid, link=_relink(raw.path, path, raw.target))
    if raw.kind == "hardlink":
        return Entry(path, "hardlink", raw.mode, raw.uid, raw.gid, link=usr_path(raw.target))
    if raw.kind == "dir":
        return Entry(path, "dir", raw.mode, raw.uid, raw.gid)
    return Entry(path, "file", raw.mode, raw.uid, raw.gid, data=raw.data)


def _relink(original: str, moved: str, target: str) -> str:
    """A relative symlink target that still points at the same place after the link moved into /usr."""
    if original == moved or target.startswith("/"):
        return target
    absolute = posixpath.normpath(posixpath.join("/", posixpath.dirname(original), target))
    return posixpath.relpath(usr_path(absolute.lstrip("/")), posixpath.dirname(moved))


def _read(path: Path) -> tuple[DebControl, list[DebEntry]]:
    deb = Deb(path)
    return deb.control(), list(deb.entries())


def _read_all(paths: Sequence[Path], workers: int) -> Iterator[tuple[DebControl, list[DebEntry]]]:
    """Each .deb read (xz-decompressed) in a small thread pool, yielded in order, at most `workers` ahead."""
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="deb-read") as pool:
        pending: list[Future[tuple[DebControl, list[DebEntry]]]] = []
        queue = list(paths)
        while queue or pending:
            while queue and len(pending) <= workers:
                pending.append(pool.submit(_read, queue.pop(0)))
            yield pending.pop(0).result()
