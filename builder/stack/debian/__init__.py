"""A Debian archive client: verified Release, Packages index, dependency closure, cached .debs.

    archive = Archive(cache_dir, client, suite="trixie", arch="amd64")
    packages = archive.resolve(["libc6", "ca-certificates"], exclude=["debconf"])
    paths = archive.fetch(packages)          # <cache>/debs/<sha256>.deb, each verified
    for entry in Deb(paths[0]).entries(): ...

Everything downloaded is checked against the signed InRelease (gpgv, Debian archive
keyring) before it is used; nothing here touches image code or runs package scripts.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import httpx

from builder.errors import StackError

from .deb import Deb, DebControl, DebEntry, dpkg_list
from .fetch import Progress, cached_path, fetch_debs
from .packages import Package, PackageIndex, fetch_index
from .relation import Relation
from .release import DEFAULT_MIRROR, IndexFile, Release, fetch_release
from .resolve import resolve

__all__ = [
    "DEFAULT_MIRROR",
    "DEFAULT_SUITE",
    "Archive",
    "Deb",
    "DebControl",
    "DebEntry",
    "IndexFile",
    "Package",
    "PackageIndex",
    "Progress",
    "Relation",
    "Release",
    "cached_path",
    "dpkg_list",
    "fetch_debs",
    "fetch_index",
    "fetch_release",
    "resolve",
]

DEFAULT_SUITE = "trixie"


class Archive:
    """One suite of one mirror for one architecture, as of the first `release()` call.

    The Release and the index are read once per Archive and kept, so every answer it
    gives comes from the same archive state; make a new Archive to see a newer one.
    """

    def __init__(
        self,
        cache_dir: Path,
        client: httpx.Client | Callable[[], httpx.Client],
        *,
        mirror: str = DEFAULT_MIRROR,
        suite: str = DEFAULT_SUITE,
        arch: str = "amd64",
        components: Sequence[str] = ("main",),
        keyring: Path | None = None,
    ) -> None:
        self.cache_dir = cache_dir
        self._client = client
        self.mirror = mirror
        self.suite = suite
        self.arch = arch
        self.components = tuple(components)
        self.keyring = keyring
        self._lock = threading.Lock()
        self._client_lock = threading.Lock()
        self._release: Release | None = None
        self._index: PackageIndex | None = None

    @property
    def client(self) -> httpx.Client:
        """The HTTP client; a factory given instead is called on first use (most warm builds never need it)."""
        with self._client_lock:  # not self._lock: release()/packages() hold it while fetching
            if not isinstance(self._client, httpx.Client):
                self._client = self._client()
            return self._client

    @property
    def label(self) -> str:
        """How errors name this archive, e.g. "trixie/main (amd64)"."""
        return f"{self.suite}/{'+'.join(self.components)} ({self.arch})"

    def release(self) -> Release:
        """The suite's verified Release (fetched on first call)."""
        with self._lock:
            if self._release is None:
                release = fetch_release(self.client, self.suite, mirror=self.mirror, keyring=self.keyring)
                if release.architectures and self.arch not in release.architectures:
                    raise StackError(
                        f"{self.suite} on {self.mirror} has no '{self.arch}' packages",
                        f"use one of: {', '.join(release.architectures)}",
                    )
                self._release = release
            return self._release

    def packages(self) -> PackageIndex:
        """Every package of the configured components (fetched or read from the cache on first call)."""
        release = self.release()
        with self._lock:
            if self._index is None:
                texts = [
                    fetch_index(
                        self.client,
                        release,
                        self.cache_dir,
                        mirror=self.mirror,
                        suite=self.suite,
                        component=component,
                        arch=self.arch,
                    )
                    for component in self.components
                ]
                self._index = PackageIndex.parse(*texts)
            return self._index

    def resolve(self, names: Iterable[str], exclude: Iterable[str] = ()) -> list[Package]:
        """The sorted dependency closure of `names`, minus what `exclude` names (see resolve.py)."""
        return resolve(self.packages(), names, exclude, arch=self.arch, where=self.label)

    def fetch(self, packages: Sequence[Package], progress: Progress | None = None) -> list[Path]:
        """The verified cached .deb of each package, in order, downloading what is missing."""
        return fetch_debs(self.client, self.mirror, packages, self.cache_dir, progress=progress)
