"""The one place reproducibility lives: a normalising tar writer.

Every layer dockless writes goes through `write_tar`: entries sorted by path,
integer mtimes fixed at SOURCE_DATE_EPOCH (else 1980-01-01T00:00:01Z, as the CNB
lifecycle does), uid/gid explicit, uname/gname empty, PAX only when a name needs
it. Same entries in, same bytes out, on any machine, in any directory.
"""

from __future__ import annotations

import io
import os
import posixpath
import stat
import tarfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import BinaryIO, Literal

from builder.errors import UsageError

DEFAULT_EPOCH = 315532801  # 1980-01-01T00:00:01Z
Kind = Literal["file", "dir", "symlink", "hardlink"]


def layer_epoch(env: Mapping[str, str] | None = None) -> int:
    """SOURCE_DATE_EPOCH when set (reproducible-builds.org), else the CNB fixed time."""
    value = (env if env is not None else os.environ).get("SOURCE_DATE_EPOCH", "").strip()
    if not value:
        return DEFAULT_EPOCH
    try:
        return int(value)
    except ValueError:
        raise UsageError(f"SOURCE_DATE_EPOCH={value!r} is not an integer", "set it to seconds since 1970") from None


@dataclass(frozen=True)
class Entry:
    """One file-system object as it will appear in a layer.

    `path` is relative to the image root, POSIX, without a leading slash. File
    content comes from `source` (a host path) or `data` (inline bytes).
    """

    path: str
    kind: Kind = "file"
    mode: int = 0o644
    uid: int = 0
    gid: int = 0
    source: Path | None = None
    data: bytes | None = None
    link: str = ""

    def size(self) -> int:
        if self.kind != "file":
            return 0
        if self.data is not None:
            return len(self.data)
        assert self.source is not None
        return self.source.stat().st_size


def clean_path(path: str) -> str:
    """Normalise a target path; refuse any that would escape the layer root."""
    p = path.replace("\\", "/").lstrip("/")
    norm = posixpath.normpath(p) if p else "."
    if norm == "." or norm == ".." or norm.startswith("../") or "/../" in f"/{p}/":
        raise UsageError(f"layer entry '{path}' escapes the layer root", "paths must stay inside the image")
    return norm


def with_parents(entries: Iterable[Entry], uid: int = 0, gid: int = 0) -> list[Entry]:
    """Add a directory entry for every missing parent, then sort by path.

    Parents get mode 0755 and the given owner, so `docker export` of the image
    shows the same tree whatever order layers were extracted in.
    """
    by_path: dict[str, Entry] = {}
    for e in entries:
        p = clean_path(e.path)
        by_path[p] = Entry(p, e.kind, e.mode, e.uid, e.gid, e.source, e.data, e.link)
    for p in list(by_path):
        parent = posixpath.dirname(p)
        while parent and parent not in by_path:
            by_path[parent] = Entry(parent, "dir", 0o755, uid, gid)
            parent = posixpath.dirname(parent)
    return [by_path[p] for p in sorted(by_path)]


def scan_dir(root: Path, prefix: str = "", uid: int = 0, gid: int = 0,
             exclude: frozenset[str] = frozenset(), exclude_names: frozenset[str] = frozenset()) -> list[Entry]:
    """Entries for everything under `root`, placed under `prefix` in the image.

    Symlinks stay symlinks (never followed), hard links become tar hard links,
    device files, FIFOs and sockets are refused. `exclude` names relative
    paths to leave out (e.g. `node_modules`), `exclude_names` base names to
    leave out at any depth (e.g. `.npmrc`, which may hold a token).
    """

    def keep(rel: str, name: str) -> bool:
        return rel not in exclude and name not in exclude_names

    root = Path(root)
    prefix = prefix.strip("/")
    out: list[Entry] = []
    seen_inodes: dict[tuple[int, int], str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root)
        rel_dir = "" if rel_dir == "." else rel_dir
        dirnames[:] = sorted(d for d in dirnames if keep(posixpath.join(rel_dir, d), d))
        for name in sorted(dirnames + [f for f in filenames if keep(posixpath.join(rel_dir, f), f)]):
            rel = posixpath.join(rel_dir, name)
            host = Path(dirpath, name)
            target = posixpath.join(prefix, rel) if prefix else rel
            st = host.lstat()
            mode = stat.S_IMODE(st.st_mode)
            if stat.S_ISLNK(st.st_mode):
                out.append(Entry(target, "symlink", 0o777, uid, gid, link=os.readlink(host)))
            elif stat.S_ISDIR(st.st_mode):
                out.append(Entry(target, "dir", mode, uid, gid))
            elif stat.S_ISREG(st.st_mode):
                key = (st.st_dev, st.st_ino)
                if st.st_nlink > 1 and key in seen_inodes:
                    out.append(Entry(target, "hardlink", mode, uid, gid, link=seen_inodes[key]))
                else:
                    if st.st_nlink > 1:
                        seen_inodes[key] = target
                    out.append(Entry(target, "file", mode, uid, gid, source=host))
            else:
                raise UsageError(f"'{host}' is a device, FIFO or socket", "layers may hold only files, directories and links")
    if prefix:
        out.append(Entry(prefix, "dir", 0o755, uid, gid))
    return out


def _anchor_hardlinks(entries: list[Entry]) -> list[Entry]:
    """Make the first path of each hard-link group (in stream order) the file, the others links to it.

    scan_dir records the first inode it walks into as the file, but it walks a
    directory's files before its sub-directories while the stream is sorted by
    full path, so `Release/obj/x.a` (a link) can sort before `Release/x.a` (the
    file) — node-gyp leaves such pairs. tar must see the file first.
    """
    position = {e.path: i for i, e in enumerate(entries)}
    groups: dict[int, list[int]] = {}
    for i, e in enumerate(entries):
        if e.kind == "hardlink":
            j = position.get(clean_path(e.link))
            if j is not None and entries[j].kind == "file":
                groups.setdefault(j, []).append(i)
    out = list(entries)
    for file_index, links in groups.items():
        first = min(file_index, *links)
        if first == file_index:
            continue
        original = entries[file_index]
        out[first] = replace(out[first], kind="file", source=original.source, data=original.data, link="")
        for i in sorted({file_index, *links} - {first}):
            out[i] = replace(out[i], kind="hardlink", source=None, data=None, link=out[first].path)
    return out


def _hardlinks_first(entries: list[Entry]) -> None:
    """A hard link must follow its target in the stream; sorting can break that."""
    position = {e.path: i for i, e in enumerate(entries)}
    for i, e in enumerate(entries):
        if e.kind == "hardlink":
            target = clean_path(e.link)
            j = position.get(target)
            if j is None or j > i:
                raise UsageError(f"hard link '{e.path}' points to '{e.link}' which is not earlier in the layer",
                                 "hard links may only point at files in the same layer")


def _tarinfo(e: Entry, mtime: int) -> tarfile.TarInfo:
    name = e.path + ("/" if e.kind == "dir" else "")
    ti = tarfile.TarInfo(name)
    ti.mtime = mtime
    ti.mode = e.mode & 0o7777
    ti.uid, ti.gid = e.uid, e.gid
    ti.uname = ti.gname = ""
    if e.kind == "dir":
        ti.type = tarfile.DIRTYPE
    elif e.kind == "symlink":
        ti.type = tarfile.SYMTYPE
        ti.linkname = e.link
    elif e.kind == "hardlink":
        ti.type = tarfile.LNKTYPE
        ti.linkname = clean_path(e.link)
    else:
        ti.type = tarfile.REGTYPE
        ti.size = e.size()
    return ti


def write_tar(entries: Iterable[Entry], out: BinaryIO, epoch: int = DEFAULT_EPOCH) -> None:
    """Write `entries` (parents added, sorted) as one reproducible tar stream."""
    ordered = _anchor_hardlinks(with_parents(entries))
    _hardlinks_first(ordered)
    # typeshed's tarfile.open() overloads omit copybufsize, which open() passes on to TarFile
    # Plain "w" mode writes file data straight to `out` (no seek needed, only tell());
    # the "w|" stream mode re-buffers every byte through bytes concatenation, ~3x slower.
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT, copybufsize=1 << 20) as tar:  # type: ignore[call-overload]
        for e in ordered:
            ti = _tarinfo(e, epoch)
            if e.kind != "file":
                tar.addfile(ti)
            elif e.data is not None:
                tar.addfile(ti, io.BytesIO(e.data))
            else:
                assert e.source is not None
                with open(e.source, "rb") as f:
                    tar.addfile(ti, f)


def safe_members(tar: tarfile.TarFile) -> Iterator[tarfile.TarInfo]:
    """Members of an untrusted tar, refusing any that would escape the extraction root.

    Refused: `..` and absolute names, hard links out of the tree, device files,
    and any entry whose path goes through a symlink seen earlier in the archive
    (the classic write-through-a-link escape). Symlinks themselves may point
    anywhere: inside an image rootfs `/etc/alternatives/x` is normal.
    """
    links: set[str] = set()
    for m in tar:
        name = clean_path(m.name)
        parts = name.split("/")
        for i in range(1, len(parts)):
            if "/".join(parts[:i]) in links:
                raise UsageError(f"tar entry '{m.name}' goes through the symlink '{'/'.join(parts[:i])}'",
                                 "the archive is unsafe to extract")
        if m.islnk():
            clean_path(m.linkname)
        if m.issym():
            links.add(name)
        if m.isdev() or m.isfifo():
            raise UsageError(f"tar entry '{m.name}' is a device or FIFO", "the archive is unsafe to extract")
        yield m
