"""The JRE's trusted CAs: Debian's certificates as a Java keystore the image's JVMs read.

Debian's JRE finds its CAs at /etc/ssl/certs/java/cacerts, which
ca-certificates-java's maintainer script writes; dockless installs packages
without running their scripts, so that file is missing and an app's outbound
HTTPS would fail with "the trustAnchors parameter must be non-empty". The
buildpack writes the keystore itself, from the certificates ca-certificates
ships under /usr/share/ca-certificates (read in the build sandbox, where the
host's own bundle — with a company's TLS-inspecting CA — sits at
/etc/ssl/certs/ca-certificates.crt and must not reach the image).

The format is JKS, written byte for byte here: the JDK reads it as a
truststore, and unlike PKCS#12 (random salts) the same certificates give the
same bytes, so the layer is reproducible. Aliases are the certificate file
names, the entry dates are 0, and the keyed SHA-1 at the end uses the JDK's
default password "changeit".
"""

from __future__ import annotations

import base64
import hashlib
import re
import struct
from collections.abc import Sequence

PASSWORD = "changeit"
_PEM = re.compile(rb"-----BEGIN CERTIFICATE-----\s*(.+?)\s*-----END CERTIFICATE-----", re.DOTALL)
READ_CERTS = ("cd /usr/share/ca-certificates && for f in $(find . -name '*.crt' | LC_ALL=C sort); "
              "do printf '#%s\\n' \"$f\"; cat \"$f\"; echo; done")


def parse_listing(text: str) -> list[tuple[str, bytes]]:
    """(alias, DER) for each certificate of READ_CERTS' output (`#./mozilla/X.crt` then the PEM)."""
    found: list[tuple[str, bytes]] = []
    for block in text.split("\n#")[0:]:
        name, _, pem = block.lstrip("#").partition("\n")
        alias = name.strip().removeprefix("./").removesuffix(".crt").lower()
        for match in _PEM.finditer(pem.encode()):
            found.append((alias, base64.b64decode(b"".join(match.group(1).split()))))
    return sorted(dict(found).items())


def _utf(text: str) -> bytes:
    data = text.encode("utf-8")
    return struct.pack(">H", len(data)) + data


def jks(certificates: Sequence[tuple[str, bytes]], password: str = PASSWORD) -> bytes:
    """A JKS keystore of trusted-certificate entries (alias, DER), in the order given."""
    body = bytearray(struct.pack(">IiI", 0xFEEDFEED, 2, len(certificates)))
    for alias, der in certificates:
        body += struct.pack(">I", 2) + _utf(alias) + struct.pack(">q", 0) + _utf("X.509")
        body += struct.pack(">I", len(der)) + der
    key = password.encode("utf-16-be") + b"Mighty Aphrodite"
    return bytes(body) + hashlib.sha1(key + bytes(body)).digest()
