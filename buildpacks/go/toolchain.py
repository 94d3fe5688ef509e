"""The Go toolchain from the module proxy, as `GOTOOLCHAIN=go1.X.Y` takes it, checked against the checksum database.

    proxy = GoProxy(client, "https://proxy.golang.org", downloader, cache_dir, log)
    proxy.releases("amd64")                   -> ["1.21.0", …]   the @v/list, cached `ttl` seconds on disk
    install_toolchain(proxy, cache, "1.24.4", "amd64") -> Toolchain(version, home, metadata)

The release is the module `golang.org/toolchain@v0.0.1-go1.24.4.linux-amd64`:
its zip (GOPROXY/golang.org/toolchain/@v/<version>.zip, ~75 MB) is a whole
GOROOT under `golang.org/toolchain@<version>/`. It is accepted only when its
`h1:` hash equals the record of the checksum database's lookup, reached
through the proxy (`<proxy>/sumdb/sum.golang.org/lookup/…` and `/tile/…`, as
the go command does when the proxy says it supports it), whose tree head is
signed by sum.golang.org's key (see `sumdb`) and in whose tree the record is
proved to be (see `tlog`). A mismatch is IntegrityError
(exit 7) and nothing is kept. The unpacked GOROOT is a cache layer
(`/layers/go/toolchain`, never in the image) keyed by version and arch, so a
later build needs no network for it; module zips keep no file modes, so
`bin/` and `pkg/tool/` are made executable as the go command does.

Credentials in GOPROXY (`https://user:token@host/`) go to the client as basic
auth and never into a URL that a message could show.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit, urlunsplit

import httpx

from builder.buildpack.download import Downloader
from builder.buildpack.layers import cached_layer
from builder.errors import BuildError, IntegrityError
from builder.lifecycle.contract import LayerCache, LogFn

from . import sumdb, tlog
from .versions import releases

BUILDPACK = "go"
DEFAULT_PROXY = "https://proxy.golang.org"
TOOLCHAIN_MODULE = "golang.org/toolchain"
_HINT = "check GOPROXY and your network (SSL_CERT_FILE for a proxy's CA)"


def proxy_url(env_goproxy: str) -> tuple[str, tuple[str, str] | None]:
    """(base URL without credentials, (user, password) or None): the first URL of a GOPROXY list.

    GOPROXY is a list separated by `,` or `|`; `direct`, `off` and `file://`
    entries are not HTTP proxies (the toolchain comes only from one), so they
    are skipped; an empty or URL-less GOPROXY means proxy.golang.org.
    """
    for entry in env_goproxy.replace("|", ",").split(","):
        entry = entry.strip()
        if entry.startswith(("https://", "http://")):
            parts = urlsplit(entry)
            auth = (parts.username or "", parts.password or "") if parts.username else None
            host = parts.hostname or ""
            netloc = f"{host}:{parts.port}" if parts.port else host
            return urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", "")), auth
    return DEFAULT_PROXY, None


@dataclass(frozen=True)
class GoProxy:
    """Read access to one Go module proxy: its toolchain list, checksum-database lookups and verified zips."""

    client: httpx.Client
    base: str
    downloader: Downloader
    cache_dir: Path
    log: LogFn = lambda line: None
    ttl: float = 600.0

    def releases(self, arch: str) -> list[str]:
        """The golang.org/toolchain versions for `arch`, oldest first (a stale copy when the proxy is down)."""
        return releases(self._text(f"{self.base}/{TOOLCHAIN_MODULE}/@v/list", "Go toolchain list"), arch)

    def lookup(self, module: str, version: str) -> str:
        """The checksum database's signed `h1:` for `module@version`'s zip; IntegrityError when it does not verify."""
        url = f"{self.base}/sumdb/sum.golang.org/lookup/{module}@{version}"
        body = self._get(url, f"checksum database record of {module}@{version}").text
        try:
            found = sumdb.parse_lookup(body)
        except sumdb.NoteError as exc:
            raise IntegrityError(f"the checksum database answer for {module}@{version} does not verify: {exc}",
                                 "the proxy or the network altered it; nothing was installed") from None
        self._prove(found, f"{module}@{version}")
        record = found.records.get(f"{module} {version}")
        if not record:
            raise IntegrityError(f"the checksum database has no zip record for {module}@{version}",
                                 "nothing was installed")
        return record

    def _prove(self, found: sumdb.Lookup, what: str) -> None:
        """IntegrityError unless the record is in the signed tree (a Merkle proof from the database's tiles)."""
        def read_tile(level: int, index: int, width: int) -> bytes:
            url = f"{self.base}/sumdb/sum.golang.org/{tlog.tile_path(level, index, width)}"
            response = self.client.get(url, follow_redirects=True)
            if response.status_code == 404 and width < 1 << tlog.TILE_HEIGHT:  # the partial tile has grown
                url = f"{self.base}/sumdb/sum.golang.org/{tlog.tile_path(level, index, 1 << tlog.TILE_HEIGHT)}"
                response = self.client.get(url, follow_redirects=True)
            if response.status_code >= 400:
                raise BuildError(f"{urlsplit(url).netloc} answered {response.status_code} for a checksum "
                                 f"database tile ({what})", _HINT)
            return response.content

        try:
            root = tlog.root_with_record(found.id, found.data, found.tree.size, read_tile)
        except httpx.HTTPError as exc:
            raise BuildError(f"could not fetch the checksum database tiles for {what}: {exc}", _HINT) from exc
        except ValueError as exc:
            raise IntegrityError(f"the checksum database record of {what} cannot be proved: {exc}",
                                 "nothing was installed") from None
        if base64.b64encode(root).decode() != found.tree.root:
            raise IntegrityError(f"the checksum database record of {what} is not in the signed tree",
                                 "the proxy or the network altered it; nothing was installed")

    def zip(self, module: str, version: str, h1: str, what: str) -> Path:
        """The module zip, kept only when its h1 hash is `h1` (IntegrityError otherwise)."""
        def check(path: Path) -> None:
            try:
                actual = sumdb.hash_zip(path)
            except ValueError as exc:
                raise IntegrityError(f"{what} is not a valid module zip: {exc}", "nothing was kept") from None
            if actual != h1:
                raise IntegrityError(f"{what} does not match the checksum database ({actual} != {h1})",
                                     "the download was altered; nothing was kept")

        return self.downloader.fetch_checked(f"{self.base}/{module}/@v/{version}.zip", what, check)

    def _get(self, url: str, what: str) -> httpx.Response:
        try:
            response = self.client.get(url, follow_redirects=True)
        except httpx.HTTPError as exc:
            raise BuildError(f"could not fetch the {what} from {urlsplit(url).netloc}: {exc or type(exc).__name__}",
                             _HINT) from exc
        if response.status_code >= 400:
            raise BuildError(f"{urlsplit(url).netloc} answered {response.status_code} for the {what}", _HINT)
        return response

    def _text(self, url: str, what: str) -> str:
        """A small text document, from the disk cache when younger than `ttl`; a stale copy if the proxy fails."""
        path = self.cache_dir / f"{hashlib.sha256(url.encode()).hexdigest()[:32]}.txt"
        try:
            age = time.time() - path.stat().st_mtime
            cached: str | None = path.read_text()
        except OSError:
            age, cached = float("inf"), None
        if cached is not None and age < self.ttl:
            return cached
        try:
            text = self._get(url, what).text
        except BuildError:
            if cached is None:
                raise
            self.log(f"the Go module proxy did not answer; using the {what} fetched {int(age)} s ago")
            return cached
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_name(f".{path.name}.{os.getpid()}")
        temp.write_text(text)
        os.replace(temp, path)
        return text


@dataclass(frozen=True)
class Toolchain:
    """An unpacked Go release: its version, the GOROOT directory (host path) and its layer metadata."""

    version: str
    home: Path
    metadata: dict[str, str] = field(default_factory=dict)
    reused: bool = False


def install_toolchain(proxy: GoProxy, cache: LayerCache, version: str, arch: str) -> Toolchain:
    """Go `version` for `arch` as a cached GOROOT layer (see the module docstring)."""
    module_version = f"v0.0.1-go{version}.linux-{arch}"
    meta = {"go": version, "arch": arch, "source": "golang.org/toolchain"}

    def fill(path: Path) -> None:
        h1 = proxy.lookup(TOOLCHAIN_MODULE, module_version)
        archive = proxy.zip(TOOLCHAIN_MODULE, module_version, h1, f"Go {version} ({TOOLCHAIN_MODULE})")
        proxy.log(f"Go {version}: {TOOLCHAIN_MODULE}@{module_version} verified ({h1}, sum.golang.org)")
        unpack_goroot(archive, f"{TOOLCHAIN_MODULE}@{module_version}/", path)
        _forget(archive)

    home, reused = cached_layer(cache, BUILDPACK, "toolchain", meta, fill)
    return Toolchain(version, home, meta, reused)


def unpack_goroot(archive: Path, prefix: str, dest: Path) -> None:
    """Extract the files under `prefix` of a toolchain zip into `dest`; `bin/` and `pkg/tool/` executable.

    Names that would leave `dest` (absolute, `..`) are refused: BuildError.
    """
    try:
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                if info.is_dir() or not info.filename.startswith(prefix):
                    continue
                rel = PurePosixPath(info.filename[len(prefix):])
                if rel.is_absolute() or ".." in rel.parts or not rel.parts:
                    raise BuildError(f"the Go toolchain zip holds an unsafe path {info.filename!r}",
                                     "the proxy served a malformed module zip")
                target = dest.joinpath(*rel.parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as source, open(target, "wb") as out:
                    shutil.copyfileobj(source, out, 1 << 20)
                executable = rel.parts[0] == "bin" or rel.parts[:2] == ("pkg", "tool")
                target.chmod(0o755 if executable else 0o644)
    except (zipfile.BadZipFile, OSError) as exc:
        raise BuildError(f"could not unpack the Go toolchain: {exc}", "the cache may be full; try again") from exc


def _forget(blob: Path) -> None:
    """Drop the zip from the blob store once unpacked: the layer is what later builds reuse (~75 MB saved).

    The store keeps it as blobs/sha512/<hex> and a hard link blobs/sha256/<hex>; both go.
    """
    try:
        with blob.open("rb") as f:
            sha256 = hashlib.file_digest(f, "sha256").hexdigest()
        (blob.parent.parent / "sha256" / sha256).unlink(missing_ok=True)
        blob.unlink(missing_ok=True)
    except OSError:
        pass  # a cache that cannot be tidied is not an error
