"""The npm registry as a source of Node.js runtimes and package-manager tools.

A thin layer over `builder.buildpack.download`: packuments (a package's version
list) come through `Downloader.fetch_json`, cached on disk for `ttl` seconds
so a second build does not fetch 3 MB of npm metadata again, and an expired
copy is still used when the registry cannot be reached. Tarballs come through
`Downloader.fetch`, verified against the registry's `dist.integrity` (sha512
only) and stored by content, so the same release is never downloaded twice; a
mismatch is IntegrityError (exit 7) and leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from builder.buildpack.download import Downloader, Expected, LazyClient
from builder.errors import BuildError, IntegrityError
from builder.lifecycle.contract import LogFn

__all__ = ["DEFAULT_REGISTRY", "LazyClient", "NpmRegistry", "registry_url"]

DEFAULT_REGISTRY = "https://registry.npmjs.org"
_HINT = "check npm_config_registry, your network and proxy settings (SSL_CERT_FILE for a proxy's CA)"


def registry_url(env: Mapping[str, str], default: str = DEFAULT_REGISTRY) -> str:
    """The registry npm itself would use: npm_config_registry / NPM_CONFIG_REGISTRY, else `default`."""
    for key in ("npm_config_registry", "NPM_CONFIG_REGISTRY"):
        if env.get(key, "").strip():
            return env[key].strip().rstrip("/")
    return default.rstrip("/")


@dataclass(frozen=True)
class NpmRegistry:
    """Read-only access to one npm registry; packuments and verified tarballs cached under `cache_dir`.

    `client` may be a client or a function making one (e.g. a LazyClient).
    """

    client: httpx.Client | Callable[[], httpx.Client]
    url: str
    cache_dir: Path
    log: LogFn
    ttl: float = 600.0

    @property
    def downloader(self) -> Downloader:
        return Downloader(self.client, self.cache_dir, self.log, _HINT)

    def packument(self, name: str) -> dict[str, Any]:
        """The full metadata document of `name` (versions, dist, engines, time).

        Raises BuildError when the registry has no such package, or cannot be
        reached and no earlier copy is cached.
        """
        url = f"{self.url}/{name.replace('/', '%2f')}"
        document = self.downloader.fetch_json(url, f"{name} package list", ttl=self.ttl, valid=_is_packument)
        if document is None:
            raise BuildError(f"the npm registry {self.url} has no package '{name}'", _HINT)
        assert isinstance(document, dict)
        return document

    @contextmanager
    def tarball(self, manifest: Mapping[str, Any], what: str) -> Iterator[Path]:
        """A verified local copy of a version's tarball, for reading during the block.

        `manifest` is one entry of a packument's `versions`; `what` names it in
        errors ("Node.js 20.11.0"). Only sha512 integrity is accepted: sha1
        `shasum` alone does not protect against a deliberate swap. The copy
        stays in the content-addressed store for later builds.
        """
        dist = manifest.get("dist")
        if not isinstance(dist, dict):
            dist = {}
        url = str(dist.get("tarball", ""))
        sri = Expected.from_sri(str(dist.get("integrity", "")))
        expected = Expected(sha512=sri.sha512)
        if not url:
            raise BuildError(f"the npm registry lists no tarball for {what}", _HINT)
        if not expected:
            raise IntegrityError(f"the npm registry publishes no sha512 integrity for {what}",
                                 "dockless installs only downloads it can verify; pick another version")
        yield self.downloader.fetch(url, expected, what)


def _is_packument(document: Any) -> bool:
    return isinstance(document, dict) and isinstance(document.get("versions"), dict)
