"""Read a `.deb` as data: its control paragraph and the entries of its data.tar, no scripts run.

A .deb is an ar archive of `debian-binary`, `control.tar.*` and `data.tar.*`. Every
entry path is normalised (no leading `./`) and checked: `..` components, absolute
names, hardlinks to anything not earlier in the same package, and paths that pass
through a symlink the package itself created are refused, so unpacking can never
write outside the root it is given. Debian 13 packages use xz; gzip, bzip2 and
uncompressed members are read too, and zstd (as Ubuntu builds them).
"""

from __future__ import annotations

import io
import tarfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, BinaryIO, Literal


from builder.errors import StackError
from builder.image import decompress

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

_AR_MAGIC = b"!<arch>\n"
_AR_HEADER = 60
# What reading a damaged or truncated member raises.
_UNREADABLE: tuple[type[Exception], ...] = (tarfile.TarError, OSError, *decompress.DAMAGED)
_SCRIPTS = ("preinst", "postinst", "prerm", "postrm", "config", "triggers")

Kind = Literal["file", "dir", "symlink", "hardlink"]


@dataclass(frozen=True)
class DebEntry:
    """One entry of data.tar; `data` holds a regular file's bytes, `target` a link's target."""

    path: str
    kind: Kind
    mode: int
    uid: int
    gid: int
    mtime: int
    size: int = 0
    target: str = ""
    """Symlink: as written in the package. Hardlink: the normalised path of the file it shares."""
    data: bytes = field(default=b"", repr=False)


@dataclass(frozen=True)
class DebControl:
    """What dpkg would record about the package: the control paragraph, conffiles and md5sums."""

    text: str
    """The control file verbatim: the basis of the package's /var/lib/dpkg/status entry."""
    fields: Mapping[str, str] = field(hash=False, repr=False)
    conffiles: tuple[str, ...] = ()
    md5sums: str = ""
    scripts: tuple[str, ...] = ()
    """Maintainer scripts the package has (and that dockless does not run)."""

    @property
    def package(self) -> str:
        return self.fields.get("Package", "")

    @property
    def version(self) -> str:
        return self.fields.get("Version", "")


@dataclass(frozen=True)
class Deb:
    """A .deb file on disk; each method reads it afresh, nothing is held open."""

    path: Path

    def control(self) -> DebControl:
        """The package's control paragraph and bookkeeping files."""
        found: dict[str, bytes] = {}
        scripts: list[str] = []
        with self.path.open("rb") as f, self._tar(f, "control.tar") as tar:
            for info in _members_of(tar, self.path):
                name = _normalise(info.name, self.path)
                if name in _SCRIPTS:
                    scripts.append(name)
                if name in ("control", "conffiles", "md5sums") and info.isreg():
                    member = tar.extractfile(info)
                    found[name] = member.read() if member else b""
        if "control" not in found:
            raise StackError(f"{self.path.name} has no control file", "the .deb is damaged; clear the dockless cache")
        text = found["control"].decode("utf-8")
        return DebControl(
            text=text,
            fields=MappingProxyType(dict(_parse_paragraph(text))),
            conffiles=tuple(line.strip() for line in found.get("conffiles", b"").decode().splitlines() if line.strip()),
            md5sums=found.get("md5sums", b"").decode("utf-8", errors="replace"),
            scripts=tuple(sorted(scripts)),
        )

    def entries(self) -> Iterator[DebEntry]:
        """The data.tar entries in archive order, checked to stay inside the root; the root itself is skipped."""
        files: set[str] = set()
        symlinks: set[str] = set()
        with self.path.open("rb") as f, self._tar(f, "data.tar") as tar:
            for info in _members_of(tar, self.path):
                path = _normalise(info.name, self.path)
                if not path:
                    continue
                _check_parents(path, symlinks, self.path)
                entry = _entry(tar, info, path, files, self.path)
                (symlinks if entry.kind == "symlink" else files).add(path)
                yield entry

    def files(self) -> list[str]:
        """The package's /var/lib/dpkg/info/<pkg>.list lines."""
        return dpkg_list(entry.path for entry in self.entries())

    def _tar(self, f: io.BufferedReader, prefix: str) -> tarfile.TarFile:
        name, offset, size = _member(f, prefix, self.path)
        f.seek(offset)
        stream = _decompressor(_Slice(f, size), name, self.path)
        try:
            return tarfile.open(fileobj=stream, mode="r|")
        except _UNREADABLE as exc:
            raise _damaged(self.path, exc) from exc


def dpkg_list(paths: Iterable[str]) -> list[str]:
    """dpkg's .list format for entry paths: `/.` first, then each path with a leading slash."""
    return ["/."] + ["/" + path for path in paths]


def _member(f: io.BufferedReader, prefix: str, deb: Path) -> tuple[str, int, int]:
    """(name, data offset, size) of the first ar member whose name starts with `prefix`."""
    if f.read(len(_AR_MAGIC)) != _AR_MAGIC:
        raise StackError(
            f"{deb.name} is not a .deb (no ar header)", "the download is damaged; clear the dockless cache"
        )
    while header := f.read(_AR_HEADER):
        if len(header) < _AR_HEADER or header[58:60] != b"`\n":
            break
        name = header[:16].decode("ascii", errors="replace").strip().rstrip("/")
        size = int(header[48:58].decode("ascii").strip() or 0)
        if name.startswith(prefix):
            return name, f.tell(), size
        f.seek(size + (size & 1), io.SEEK_CUR)
    raise StackError(f"{deb.name} has no {prefix} member", "the .deb is damaged; clear the dockless cache")


# The compression of each data/control member name dpkg-deb writes (deb(5)).
_MEMBER_KINDS: tuple[tuple[str, decompress.Kind], ...] = (
    (".xz", "xz"), (".lzma", "xz"), (".gz", "gzip"), (".bz2", "bzip2"), (".zst", "zstd"), (".tar", "none"),
)


def _decompressor(raw: _Slice, name: str, deb: Path) -> BinaryIO:
    for suffix, kind in _MEMBER_KINDS:
        if name.endswith(suffix):
            return decompress.reader(io.BufferedReader(raw), kind)
    raise StackError(f"{deb.name} has a {name} member in an unknown format", "this .deb was not made by dpkg-deb")


def _members_of(tar: tarfile.TarFile, deb: Path) -> Iterator[tarfile.TarInfo]:
    """The tar's headers one by one, a damaged stream reported as StackError."""
    while True:
        try:
            info = tar.next()
        except _UNREADABLE as exc:
            raise _damaged(deb, exc) from exc
        if info is None:
            return
        yield info


def _normalise(name: str, deb: Path) -> str:
    """`./usr/bin/x` → `usr/bin/x`; StackError for absolute names and `..`."""
    if name.startswith("/"):
        raise _unsafe(deb, name, "is an absolute path")
    parts = [part for part in name.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise _unsafe(deb, name, "climbs out with '..'")
    return "/".join(parts)


def _check_parents(path: str, symlinks: set[str], deb: Path) -> None:
    parts = path.split("/")
    for depth in range(1, len(parts)):
        if "/".join(parts[:depth]) in symlinks:
            raise _unsafe(deb, path, "goes through a symlink the package created")


def _entry(tar: tarfile.TarFile, info: tarfile.TarInfo, path: str, files: set[str], deb: Path) -> DebEntry:
    entry = DebEntry(path, "dir", info.mode & 0o7777, info.uid, info.gid, int(info.mtime))
    if info.isdir():
        return entry
    if info.isreg():
        member = tar.extractfile(info)
        try:
            data = member.read() if member else b""
        except _UNREADABLE as exc:
            raise _damaged(deb, exc) from exc
        return replace(entry, kind="file", size=len(data), data=data)
    if info.issym():
        return replace(entry, kind="symlink", target=info.linkname)
    if info.islnk():
        target = _normalise(info.linkname, deb)
        if target not in files:
            raise _unsafe(deb, path, f"is a hardlink to '{info.linkname}', which is not a file earlier in the package")
        return replace(entry, kind="hardlink", target=target)
    raise _unsafe(deb, path, "is a device, fifo or other special file")


def _unsafe(deb: Path, name: str, why: str) -> StackError:
    return StackError(
        f"{deb.name} was refused: its entry '{name}' {why}",
        "the package is malformed or malicious; it was not unpacked",
    )


def _damaged(deb: Path, exc: BaseException) -> StackError:
    return StackError(
        f"{deb.name} could not be read ({exc})", "the .deb is damaged; clear the dockless cache and fetch it again"
    )


class _Slice(io.RawIOBase):
    """The `size` bytes of `f` from its current position: one ar member, read in place."""

    def __init__(self, f: io.BufferedReader, size: int) -> None:
        self._f = f
        self._left = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        if self._left <= 0:
            return 0
        view = memoryview(buffer).cast("B")
        count = self._f.readinto(view[: min(len(view), self._left)])
        self._left -= count
        return count


def _parse_paragraph(text: str) -> dict[str, str]:
    from debian import deb822  # python-debian is imported only when a control file is read

    return dict(deb822.Deb822(text))
