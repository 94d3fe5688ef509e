"""TLS trust against a real distribution serving HTTPS on a non-loopback address.

Loopback registries always get plain HTTP (as with Docker), so this registry
listens on the machine's own routable IPv4 address with a self-signed
certificate for that IP. Unknown to the system bundle it must fail fast as
"not trusted"; named by SSL_CERT_FILE it must work.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from builder.errors import UnreachableError
from builder.image.blobs import BlobStore
from builder.reference import parse_registry_ref
from builder.registry import Keychain, RegistryOptions, RetryPolicy, read_registry, write_registry
from tests.infra.procs import BackgroundProcess, port_open, require_tool, run, start_on_free_port, unavailable
from tests.registry.helpers import context, make_image

pytestmark = pytest.mark.e2e

_CONFIG = """\
version: 0.1
storage:
  filesystem:
    rootdirectory: {root}
http:
  addr: {ip}:{port}
  secret: dockless-tls-test
  tls:
    certificate: {cert}
    key: {key}
"""


def routable_ipv4() -> str:
    """This machine's address on its default route (no packet is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.123", 9))
            ip = s.getsockname()[0]
        except OSError:
            ip = ""
    if not ip or ip.startswith("127."):
        unavailable("no non-loopback IPv4 address to serve TLS on")
    return ip


@pytest.fixture(scope="module")
def tls_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """(host:port, certificate path) of an HTTPS registry with no auth."""
    binary = require_tool("docker-registry")
    require_tool("openssl")
    ip = routable_ipv4()
    work = tmp_path_factory.mktemp("tls-registry")
    cert, key = work / "cert.pem", work / "key.pem"
    run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "2",
         "-subj", "/CN=dockless-tls-test", "-addext", f"subjectAltName=IP:{ip}"])

    def make(port: int) -> BackgroundProcess:
        config = work / "config.yml"
        config.write_text(_CONFIG.format(root=work / "storage", ip=ip, port=port, cert=cert, key=key))
        return BackgroundProcess([binary, "serve", str(config)], work / "registry.log", cwd=work)

    server, port = start_on_free_port(make, name="docker-registry (TLS)", ready=lambda p: port_open(p, ip))
    try:
        yield f"{ip}:{port}", cert
    finally:
        server.stop()


def test_an_untrusted_certificate_fails_fast_with_a_hint(tls_registry: tuple[str, Path], tmp_path: Path) -> None:
    host, _ = tls_registry
    store = BlobStore(tmp_path / "store")
    image = make_image(tmp_path, store, {"f": b"tls"})
    slept: list[float] = []
    opts = RegistryOptions(keychain=Keychain(), retry=RetryPolicy(sleep=slept.append))  # the system bundle
    with pytest.raises(UnreachableError, match=f"TLS certificate of {host} is not trusted") as info:
        write_registry(image, parse_registry_ref(f"{host}/tls/app:v1"), context(store), opts)
    assert "SSL_CERT_FILE" in info.value.hint and slept == []  # not retried


def test_ssl_cert_file_is_trusted(tls_registry: tuple[str, Path], tmp_path: Path) -> None:
    host, cert = tls_registry
    store = BlobStore(tmp_path / "store")
    image = make_image(tmp_path, store, {"f": os.urandom(100_000)})
    opts = RegistryOptions.from_env({"SSL_CERT_FILE": str(cert), "HOME": str(tmp_path)})
    assert opts.ca_file == str(cert)
    ref = parse_registry_ref(f"{host}/tls/app:v1")
    assert write_registry(image, ref, context(store), opts).digest == image.digest
    pulled = read_registry(ref, context(BlobStore(tmp_path / "pull")), opts)
    with pulled.layers[0].open() as a, image.layers[0].open() as b:
        assert a.read() == b.read()
