"""The host's TLS trust and proxy settings, carried into every build command.

CI machines and many companies reach package registries through a proxy that
re-signs TLS; its CA is in the host's bundle, not in Debian's. Build commands get
the host bundle (inside the sandbox at the standard Debian path) and every variable
the usual tools read it from, plus the host's proxy variables.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from builder.errors import BuildError

DEBIAN_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
CA_VARIABLES = ("NODE_EXTRA_CA_CERTS", "SSL_CERT_FILE", "GIT_SSL_CAINFO", "PIP_CERT", "REQUESTS_CA_BUNDLE",
                "CURL_CA_BUNDLE")  # fmt: skip
SYSTEM_BUNDLES = (DEBIAN_BUNDLE, "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/ca-bundle.pem")
"""Where Debian/Ubuntu/Alpine, Fedora/RHEL and openSUSE keep the system's (and a company's added) CAs."""
JAVA_TRUSTSTORE_PASSWORD = "changeit"  # the JDK's own default; a truststore holds no secrets
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "no_proxy",
                   "all_proxy")  # fmt: skip


@dataclass(frozen=True)
class HostTrust:
    """The CA bundle file to trust (None: the build root's own) and the proxy variables to pass on."""

    ca_bundle: Path | None = None
    proxy: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> HostTrust:
        """$SSL_CERT_FILE if it names a file, else the host's system bundle if it has one; and the proxy variables.

        The path is made absolute: host commands run in the workspace, not where dockless started.
        """
        bundle = None
        for candidate in (env.get("SSL_CERT_FILE", ""), *SYSTEM_BUNDLES):
            if candidate and Path(candidate).is_file():
                bundle = Path(candidate).absolute()
                break
        return cls(bundle, {name: env[name] for name in PROXY_VARIABLES if env.get(name)})

    def env(self, bundle_path: str, java_truststore: str | None = None) -> dict[str, str]:
        """The variables a command gets, with the bundle visible at `bundle_path` and, when given,
        the same CAs as a PKCS#12 truststore at `java_truststore` for every JVM (JAVA_TOOL_OPTIONS)."""
        ca = {name: bundle_path for name in CA_VARIABLES} if self.ca_bundle else {}
        if self.ca_bundle and java_truststore:
            ca["JAVA_TOOL_OPTIONS"] = (f"-Djavax.net.ssl.trustStore={java_truststore} "
                                       f"-Djavax.net.ssl.trustStorePassword={JAVA_TRUSTSTORE_PASSWORD} "
                                       "-Djavax.net.ssl.trustStoreType=PKCS12")
        return {**ca, **self.proxy}

    def java_truststore(self, directory: Path) -> Path | None:
        """The CA bundle as a Java PKCS#12 truststore under `directory` (made once per bundle content).

        Maven, Gradle and every JVM read trust from a keystore, not a PEM file;
        without this a TLS-inspecting proxy's CA would reach npm and pip but not
        Maven. Written whole or not at all, named by the bundle's sha256.
        """
        if self.ca_bundle is None:
            return None
        data = self.ca_bundle.read_bytes()
        path = directory / f"java-truststore-{hashlib.sha256(data).hexdigest()[:16]}.p12"
        if path.is_file():
            return path  # the usual case: importing cryptography alone costs ~35 ms of every build's start
        from cryptography import x509
        from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, pkcs12

        try:
            with warnings.catch_warnings():  # old CAs with negative serials still load today
                warnings.simplefilter("ignore")
                certs = x509.load_pem_x509_certificates(data)
        except ValueError as exc:
            raise BuildError(f"the CA bundle {self.ca_bundle} is not a PEM certificate list: {exc}",
                             "point SSL_CERT_FILE at a PEM bundle") from None
        entries = [pkcs12.PKCS12Certificate(cert, f"ca-{i}".encode()) for i, cert in enumerate(certs)]
        store = pkcs12.serialize_java_truststore(entries, BestAvailableEncryption(JAVA_TRUSTSTORE_PASSWORD.encode()))
        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory, suffix=".tmp")
        with os.fdopen(fd, "wb") as out:
            out.write(store)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
        return path
