"""How dockless talks to registries: trust, retries, timeouts, credentials.

Built once at the edge (`RegistryOptions.from_env`) from the environment and
the Context, then passed down: nothing below reads environment variables.
`transport` lets tests put an `httpx.MockTransport` under the real client.
"""

from __future__ import annotations

import functools
import os
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from builder.errors import UsageError
from builder.registry.keychain import Keychain
from builder.registry.retry import RetryPolicy

USER_AGENT = "dockless/0.1 (+https://github.com/dockless)"


@functools.lru_cache(maxsize=4)
def _context(cafile: str | None) -> ssl.SSLContext:
    """One parsed CA bundle per file and process: parsing one takes ~20 ms, and a build connects twice
    (the push check, then the push). The context is never modified after it is made."""
    return ssl.create_default_context(cafile=cafile)


@dataclass(frozen=True)
class RegistryOptions:
    """How to talk to registries: credentials, trust, retries, timeouts, upload parallelism."""

    keychain: Keychain = field(default_factory=Keychain)
    ca_file: str | None = None  # SSL_CERT_FILE; None = the system bundle
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    connect_timeout: float = 15.0
    timeout: float = 120.0  # read/write: a registry may take a while to verify a big blob
    parallel_uploads: int = 3
    chunk_size: int = 1 << 20
    transport: httpx.BaseTransport | None = field(default=None, compare=False, repr=False)

    @classmethod
    def from_env(cls, environ: Mapping[str, str], docker_config: Path | None = None) -> RegistryOptions:
        """Credentials from DOCKER_CONFIG/HOME and trust from SSL_CERT_FILE."""
        return cls(keychain=Keychain.from_env(environ, docker_config), ca_file=environ.get("SSL_CERT_FILE") or None)

    def ssl_context(self) -> ssl.SSLContext:
        """Trust SSL_CERT_FILE or the system bundle, not certifi's (corporate CAs live in the system one)."""
        if self.ca_file:
            if not os.path.exists(self.ca_file):
                raise UsageError(f"the CA bundle {self.ca_file} (SSL_CERT_FILE) does not exist",
                                 "point SSL_CERT_FILE at a PEM bundle, or unset it to use the system's")
            return _context(self.ca_file)
        paths = ssl.get_default_verify_paths()
        for candidate in (paths.cafile, paths.openssl_cafile):
            if candidate and os.path.exists(candidate):
                return _context(candidate)
        return _context(None)

    def http_client(self, *, trust_env: bool, verify: ssl.SSLContext, auth: httpx.Auth | None = None) -> httpx.Client:
        """An httpx.Client with our timeouts, trust and User-Agent."""
        return httpx.Client(
            auth=auth,
            verify=verify,
            trust_env=trust_env,
            transport=self.transport,
            timeout=httpx.Timeout(self.timeout, connect=self.connect_timeout),
            headers={"User-Agent": USER_AGENT},
        )
