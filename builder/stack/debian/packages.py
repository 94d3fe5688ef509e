"""The Packages index of a suite: fetched, checked against the verified Release, parsed into values.

The compressed index is cached under `<cache>/indexes/<sha256>.<ext>`, named by the
digest the signed Release gives it, so a second run with an unchanged suite reads it
from disk and a changed suite can never be served a stale one. Only each paragraph's
name is read up front; the full parse (python-debian's deb822) happens for the few
hundred packages a resolution touches, which keeps a 68 000-package index at about a
second instead of ten.
"""

from __future__ import annotations

import bz2
import gzip
import hashlib
import lzma
import re
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cmp_to_key
from pathlib import Path

import httpx

from builder.errors import IntegrityError, StackError

from . import _cache, _http
from .relation import Alternatives, Relation, parse_provides, parse_relations
from .release import IndexFile, Release

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_NAME = re.compile(r"^Package:[ \t]*(\S+)", re.M)
_PROVIDES = re.compile(r"^Provides:(.*(?:\n[ \t].*)*)", re.M)
_PARAGRAPHS = re.compile(r"\n[ \t]*\n")
# Preferred first: smallest download, then the ones every mirror carries.
_COMPRESSIONS = (".xz", ".gz", ".bz2", "")


@dataclass(frozen=True)
class Package:
    """One binary package as the index describes it: enough to resolve, fetch and record it."""

    name: str
    version: str
    architecture: str
    filename: str
    size: int
    sha256: str
    depends: tuple[Alternatives, ...] = ()
    pre_depends: tuple[Alternatives, ...] = ()
    provides: tuple[Relation, ...] = ()
    essential: bool = False
    priority: str = "optional"
    multi_arch: str = "no"
    installed_size: int = 0
    """Kibibytes, as the index states it."""
    source: str = ""
    source_version: str = ""

    @classmethod
    def from_fields(cls, fields: Mapping[str, str]) -> Package:
        """A Package from one index paragraph; StackError if a required field is missing or malformed."""
        name = fields.get("Package", "?")
        try:
            sha256 = fields["SHA256"].strip().lower()
            if not _SHA256.match(sha256):
                raise ValueError(f"SHA256 {sha256!r}")
            source, _, rest = fields.get("Source", name).partition(" ")
            version = fields["Version"]
            return cls(
                name=name,
                version=version,
                architecture=fields["Architecture"],
                filename=fields["Filename"],
                size=int(fields["Size"]),
                sha256=sha256,
                depends=parse_relations(fields.get("Depends", "")),
                pre_depends=parse_relations(fields.get("Pre-Depends", "")),
                provides=parse_provides(fields.get("Provides", "")),
                essential=fields.get("Essential", "no").strip().lower() == "yes",
                priority=fields.get("Priority", "optional"),
                multi_arch=fields.get("Multi-Arch", "no"),
                installed_size=int(fields.get("Installed-Size", "0") or 0),
                source=source,
                source_version=rest.strip("() ") or version,
            )
        except (KeyError, ValueError) as exc:
            raise StackError(
                f"the index entry for '{name}' is malformed ({exc})", "report the mirror; its Packages index is damaged"
            ) from exc

    @property
    def relations(self) -> tuple[Alternatives, ...]:
        """Pre-Depends then Depends: everything that must be present for this package to work."""
        return self.pre_depends + self.depends


def _newer_first(a: Package, b: Package) -> int:
    from debian.debian_support import version_compare

    return version_compare(b.version, a.version)


def _newest_first(packages: Iterable[Package]) -> tuple[Package, ...]:
    return tuple(sorted(packages, key=cmp_to_key(_newer_first)))


class PackageIndex:
    """Every package of a suite's components for one architecture, looked up by name or by what it provides."""

    def __init__(self, paragraphs: Mapping[str, list[str]]) -> None:
        self._raw = paragraphs
        self._parsed: dict[str, tuple[Package, ...]] = {}
        self._provided: dict[str, list[str]] | None = None

    @classmethod
    def parse(cls, *texts: str) -> PackageIndex:
        """An index over one or more Packages files' text (one per component)."""
        raw: dict[str, list[str]] = {}
        for text in texts:
            for paragraph in _PARAGRAPHS.split(text):
                found = _NAME.search(paragraph)
                if found:
                    raw.setdefault(found.group(1), []).append(paragraph)
        return cls(raw)

    def __contains__(self, name: object) -> bool:
        return name in self._raw

    def __len__(self) -> int:
        return len(self._raw)

    def names(self) -> Iterable[str]:
        return self._raw.keys()

    def candidates(self, name: str) -> tuple[Package, ...]:
        """Every version of the real package `name`, newest first; empty if there is none."""
        if name not in self._parsed:
            from debian import deb822

            parsed = (Package.from_fields(deb822.Packages(text)) for text in self._raw.get(name, ()))
            self._parsed[name] = _newest_first(parsed)
        return self._parsed[name]

    def get(self, name: str) -> Package | None:
        """The newest version of the real package `name`."""
        found = self.candidates(name)
        return found[0] if found else None

    def providers(self, name: str) -> tuple[tuple[Relation, Package], ...]:
        """Each (Provides entry, package) that provides the virtual name `name`, by package name then newest."""
        if self._provided is None:
            self._provided = self._scan_provides()
        result = [
            (provided, package)
            for provider in sorted(set(self._provided.get(name, ())))
            for package in self.candidates(provider)
            for provided in package.provides
            if provided.name == name
        ]
        return tuple(result)

    def _scan_provides(self) -> dict[str, list[str]]:
        provided: dict[str, list[str]] = {}
        for name, paragraphs in self._raw.items():
            for paragraph in paragraphs:
                found = _PROVIDES.search(paragraph)
                if found:
                    for rel in parse_provides(found.group(1)):
                        provided.setdefault(rel.name, []).append(name)
        return provided


def fetch_index(
    client: httpx.Client,
    release: Release,
    cache_dir: Path,
    *,
    mirror: str,
    suite: str,
    component: str = "main",
    arch: str = "amd64",
) -> str:
    """The text of `<component>/binary-<arch>/Packages`, verified against `release` and cached by digest."""
    entry = _pick(release, f"{component}/binary-{arch}/Packages")
    cached = cache_dir / "indexes" / (entry.sha256 + _suffix(entry.path))
    if not _cache.matches(cached, entry.size, entry.sha256):
        _cache.discard(cached)
        _download(client, entry, cached, release=release, mirror=mirror, suite=suite)
    return _decompress(cached.read_bytes(), entry.path).decode("utf-8")


def _pick(release: Release, base: str) -> IndexFile:
    for ext in _COMPRESSIONS:
        if base + ext in release.sha256:
            return release.sha256[base + ext]
    return release.index_file(base + ".xz")  # raises the "not listed" StackError


def _suffix(path: str) -> str:
    name = path.rsplit("/", 1)[-1]
    return name[len("Packages") :]


def _download(
    client: httpx.Client, entry: IndexFile, target: Path, *, release: Release, mirror: str, suite: str
) -> None:
    what = f"the {release.codename} index {entry.path}"
    plain = _http.join(mirror, f"dists/{suite}/{entry.path}")
    # by-hash names never change, so a mirror updating mid-run cannot hand us a newer file.
    by_hash = _http.join(mirror, f"dists/{suite}/{entry.path.rsplit('/', 1)[0]}/by-hash/SHA256/{entry.sha256}")
    try:
        data = _http.get(client, by_hash if release.acquire_by_hash else plain, what)
    except StackError:
        if not release.acquire_by_hash:
            raise
        data = _http.get(client, plain, what)
    if len(data) != entry.size or _sha256(data) != entry.sha256:
        raise IntegrityError(f"{what} does not match the SHA256 in the signed Release")
    with _cache.atomic_file(target) as f:
        f.write(data)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _decompress(data: bytes, path: str) -> bytes:
    try:
        if path.endswith(".xz"):
            return lzma.decompress(data)
        if path.endswith(".gz"):
            return gzip.decompress(data)
        if path.endswith(".bz2"):
            return bz2.decompress(data)
        return data
    except (lzma.LZMAError, OSError, EOFError, zlib.error) as exc:
        raise StackError(
            f"the index {path} could not be decompressed ({exc})", "clear the dockless cache and try again"
        ) from exc
