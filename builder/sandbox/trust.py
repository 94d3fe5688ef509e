"""The host's TLS trust and proxy settings, carried into every build command.

CI machines and many companies reach package registries through a proxy that
re-signs TLS; its CA is in the host's bundle, not in Debian's. Build commands get
the host bundle (inside the sandbox at the standard Debian path) and every variable
the usual tools read it from, plus the host's proxy variables.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

DEBIAN_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
CA_VARIABLES = ("NODE_EXTRA_CA_CERTS", "SSL_CERT_FILE", "GIT_SSL_CAINFO", "PIP_CERT", "REQUESTS_CA_BUNDLE",
                "CURL_CA_BUNDLE")  # fmt: skip
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "no_proxy",
                   "all_proxy")  # fmt: skip


@dataclass(frozen=True)
class HostTrust:
    """The CA bundle file to trust (None: the build root's own) and the proxy variables to pass on."""

    ca_bundle: Path | None = None
    proxy: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> HostTrust:
        """$SSL_CERT_FILE if it names a file, else Debian's bundle if the host has one; and the proxy variables."""
        bundle = None
        for candidate in (env.get("SSL_CERT_FILE", ""), DEBIAN_BUNDLE):
            if candidate and Path(candidate).is_file():
                bundle = Path(candidate)
                break
        return cls(bundle, {name: env[name] for name in PROXY_VARIABLES if env.get(name)})

    def env(self, bundle_path: str) -> dict[str, str]:
        """The variables a command gets, with the bundle visible at `bundle_path`."""
        ca = {name: bundle_path for name in CA_VARIABLES} if self.ca_bundle else {}
        return {**ca, **self.proxy}
