"""A local double of Docker Hub, reached by its real names inside a private mount namespace.

Docker Hub is out of reach here, so its protocol is played by the same parts
it is made of: distribution (`registry-1.docker.io`, HTTPS, `auth.token` with
realm `https://auth.docker.io/token` and service `registry.docker.io`) and a
token server (`auth.docker.io`) issuing JWTs for Basic credentials with the
scope asked for. Both serve TLS on port 443 with a certificate from a test
CA, on their own loopback addresses. `in_namespace(argv)` runs a command with
/etc/hosts bind-mounted so those names resolve here (`unshare --mount`, needs
root): the client under test uses its normal code path, names and ports,
nothing patched. SSL_CERT_FILE must name `ca_bundle` (the system CAs + the
test CA) for TLS to verify.
"""

from __future__ import annotations

import secrets
import shlex
import ssl
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.infra.procs import BackgroundProcess, port_open, require_tool, run
from tests.registry.tokenauth import ISSUER, TokenIssuer, TokenServer

REGISTRY_HOST, AUTH_HOST = "registry-1.docker.io", "auth.docker.io"
REGISTRY_IP, AUTH_IP = "127.0.0.3", "127.0.0.2"
SERVICE = "registry.docker.io"
SYSTEM_CAS = Path("/etc/ssl/certs/ca-certificates.crt")

_CONFIG = """\
version: 0.1
log:
  level: info
storage:
  filesystem:
    rootdirectory: {root}
http:
  addr: {ip}:443
  secret: dockless-hub-double
  tls:
    certificate: {cert}
    key: {key}
auth:
  token:
    realm: https://{auth}/token
    service: {service}
    issuer: {issuer}
    rootcertbundle: {token_cert}
"""


@dataclass(frozen=True)
class DockerHubDouble:
    """The running double: the account that may push, the CA bundle to trust, the token requests seen."""

    username: str
    token: str
    ca_bundle: Path
    hosts_file: Path
    tokens: TokenServer

    def in_namespace(self, argv: Sequence[str]) -> list[str]:
        """`argv` wrapped to run where Docker Hub's names resolve to this double."""
        inner = f"mount --bind {shlex.quote(str(self.hosts_file))} /etc/hosts && exec {shlex.join(argv)}"
        return ["unshare", "--mount", "--propagation", "private", "sh", "-c", inner]


def _certificates(workdir: Path) -> tuple[Path, Path, Path]:
    """A test CA and a server certificate it signed for Docker Hub's names: (ca, cert, key)."""
    ca_key, ca = workdir / "ca.key", workdir / "ca.crt"
    key, csr, cert = workdir / "hub.key", workdir / "hub.csr", workdir / "hub.crt"
    run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca_key, "-out", ca, "-days", "2",
         "-subj", "/CN=dockless test CA (Docker Hub double)"])
    run(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr, "-subj", f"/CN={REGISTRY_HOST}"])
    ext = workdir / "san.cnf"
    ext.write_text(f"subjectAltName=DNS:{REGISTRY_HOST},DNS:{AUTH_HOST},DNS:index.docker.io\n"
                   "extendedKeyUsage=serverAuth\n")
    run(["openssl", "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial", "-out", cert,
         "-days", "2", "-extfile", ext])
    return ca, cert, key


@contextmanager
def running_docker_hub_double(workdir: Path) -> Iterator[DockerHubDouble]:
    """Start the token server and the registry; stop both at the end."""
    binary = require_tool("docker-registry")
    require_tool("unshare")
    workdir.mkdir(parents=True, exist_ok=True)
    ca, cert, key = _certificates(workdir)
    bundle = workdir / "ca-bundle.crt"
    bundle.write_bytes(SYSTEM_CAS.read_bytes() + b"\n" + ca.read_bytes())
    hosts = workdir / "hosts"
    hosts.write_text(Path("/etc/hosts").read_text()
                     + f"\n{AUTH_IP} {AUTH_HOST}\n{REGISTRY_IP} {REGISTRY_HOST} index.docker.io\n")
    username, token = "dockless-ci", "dckr_pat_" + secrets.token_urlsafe(18)
    issuer = TokenIssuer(workdir)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    tokens = TokenServer(issuer, {username: token}, {}, address=(AUTH_IP, 443), ssl_context=context, service=SERVICE)
    tokens.start()
    root = workdir / "storage"
    root.mkdir(exist_ok=True)
    config = workdir / "config.yml"
    config.write_text(_CONFIG.format(root=root, ip=REGISTRY_IP, cert=cert, key=key, auth=AUTH_HOST, service=SERVICE,
                                     issuer=ISSUER, token_cert=issuer.cert))
    registry = BackgroundProcess([binary, "serve", str(config)], workdir / "registry.log", cwd=workdir)
    registry.start()
    try:
        if not registry.wait_ready(lambda: port_open(443, REGISTRY_IP)):
            raise RuntimeError(f"the Docker Hub double's registry did not start: {registry.log_tail()}")
        yield DockerHubDouble(username, token, bundle, hosts, tokens)
    finally:
        registry.stop()
        tokens.stop()
