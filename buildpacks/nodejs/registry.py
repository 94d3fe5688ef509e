"""The npm registry as a source of Node.js runtimes and package-manager tools.

Packuments (a package's version list) are cached on disk for a short time so a
second build does not fetch 3 MB of npm metadata again, and an expired copy is
still used when the registry cannot be reached. Tarballs are streamed to a temp
file while their sha512 is computed, and handed out only after it matched the
registry's `dist.integrity`; a mismatch leaves nothing behind.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from builder.errors import BuildError, IntegrityError
from builder.lifecycle.contract import LogFn

DEFAULT_REGISTRY = "https://registry.npmjs.org"
_HINT = "check npm_config_registry, your network and proxy settings (SSL_CERT_FILE for a proxy's CA)"


def registry_url(env: Mapping[str, str], default: str = DEFAULT_REGISTRY) -> str:
    """The registry npm itself would use: npm_config_registry / NPM_CONFIG_REGISTRY, else `default`."""
    for key in ("npm_config_registry", "NPM_CONFIG_REGISTRY"):
        if env.get(key, "").strip():
            return env[key].strip().rstrip("/")
    return default.rstrip("/")


class LazyClient:
    """An httpx.Client made on first use, closed on exit.

    A warm build answers from the packument cache and the layer cache and
    never needs the network, so it should not pay for a client (and its CA
    bundle) either.
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
class NpmRegistry:
    """Read-only access to one npm registry, with packuments cached under `cache_dir`.

    `client` may be a client or a function making one (e.g. a LazyClient).
    """

    client: httpx.Client | Callable[[], httpx.Client]
    url: str
    cache_dir: Path
    log: LogFn
    ttl: float = 600.0

    def _http(self) -> httpx.Client:
        return self.client if isinstance(self.client, httpx.Client) else self.client()

    def packument(self, name: str) -> dict[str, Any]:
        """The full metadata document of `name` (versions, dist, engines, time)."""
        path = self._packument_path(name)
        cached = _load(path)
        if cached is not None and time.time() - path.stat().st_mtime < self.ttl:
            return cached
        url = f"{self.url}/{name.replace('/', '%2f')}"
        try:
            response = self._http().get(url, follow_redirects=True)
        except httpx.HTTPError as exc:
            if cached is not None:
                self.log(f"npm registry unreachable ({exc or type(exc).__name__}); using the cached list of {name} versions")
                return cached
            raise BuildError(f"could not fetch the {name} package list from {url}: {exc or type(exc).__name__}", _HINT) from exc
        if response.status_code == 404:
            raise BuildError(f"the npm registry {self.url} has no package '{name}'", _HINT)
        if response.status_code >= 400:
            if cached is not None and response.status_code >= 500:
                self.log(f"npm registry answered {response.status_code}; using the cached list of {name} versions")
                return cached
            raise BuildError(f"the npm registry answered {response.status_code} for {url}", _HINT)
        try:
            document = response.json()
        except ValueError:
            raise BuildError(f"the npm registry sent something that is not JSON for {url}", _HINT) from None
        if not isinstance(document, dict) or not isinstance(document.get("versions"), dict):
            raise BuildError(f"the npm registry's answer for {name} has no versions", _HINT)
        _store(path, response.content)
        return document

    @contextmanager
    def tarball(self, manifest: Mapping[str, Any], what: str) -> Iterator[Path]:
        """A verified local copy of a version's tarball, deleted when the block ends.

        `manifest` is one entry of a packument's `versions`; `what` names it in
        errors ("Node.js 20.11.0"). Only sha512 integrity is accepted: sha1
        `shasum` alone does not protect against a deliberate swap.
        """
        dist = manifest.get("dist")
        if not isinstance(dist, dict):
            dist = {}
        url = str(dist.get("tarball", ""))
        expected = _sha512(str(dist.get("integrity", "")))
        if not url:
            raise BuildError(f"the npm registry lists no tarball for {what}", _HINT)
        if expected is None:
            raise IntegrityError(f"the npm registry publishes no sha512 integrity for {what}",
                                 "dockless installs only downloads it can verify; pick another version")
        downloads = self.cache_dir / "downloads"
        downloads.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=downloads, prefix=".tarball.", suffix=".part")
        temp = Path(name)
        try:
            digest = hashlib.sha512()
            with os.fdopen(fd, "wb") as out:
                try:
                    with self._http().stream("GET", url, follow_redirects=True) as response:
                        if response.status_code >= 400:
                            raise BuildError(f"the npm registry answered {response.status_code} for {url} ({what})", _HINT)
                        for block in response.iter_bytes(1 << 20):
                            digest.update(block)
                            out.write(block)
                except httpx.HTTPError as exc:
                    raise BuildError(f"could not download {what} from {url}: {exc or type(exc).__name__}", _HINT) from exc
            if digest.digest() not in expected:
                raise IntegrityError(f"{what} from {url} does not match the sha512 integrity the registry publishes")
            yield temp
        finally:
            with suppress(FileNotFoundError):
                temp.unlink()

    def _packument_path(self, name: str) -> Path:
        registry = hashlib.sha256(self.url.encode()).hexdigest()[:16]
        return self.cache_dir / "packuments" / registry / (name.replace("/", "%2f") + ".json")


def _sha512(integrity: str) -> set[bytes] | None:
    """The sha512 digests in a Subresource-Integrity string ("sha512-<base64> …"), None when there is none."""
    digests = set()
    for token in integrity.split():
        algorithm, _, value = token.partition("-")
        if algorithm == "sha512":
            with suppress(ValueError):
                digests.add(base64.b64decode(value.split("?", 1)[0], validate=True))
    return digests or None


def _load(path: Path) -> dict[str, Any] | None:
    try:
        document = json.loads(path.read_bytes())
    except (FileNotFoundError, ValueError):
        return None
    return document if isinstance(document, dict) and isinstance(document.get("versions"), dict) else None


def _store(path: Path, content: bytes) -> None:
    """Write whole or not at all: concurrent builds only ever see a complete packument."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(content)
        os.replace(temp, path)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(temp)
        raise
