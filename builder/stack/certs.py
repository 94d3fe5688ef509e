"""The CA bundle ca-certificates' postinst (update-ca-certificates) would have written.

Every certificate the package ships under /usr/share/ca-certificates is trusted (the
debconf default), in byte order of its path — the order update-ca-certificates reads
/etc/ca-certificates.conf in — each ending with exactly one newline. Same package,
same bundle bytes.
"""

from __future__ import annotations

from builder.image.tarball import Entry

from .sink import Sink

BUNDLE = "etc/ssl/certs/ca-certificates.crt"
_SHARE = "usr/share/ca-certificates"
_CONF_HEADER = (
    "# This file lists certificates that you wish to use or to ignore to be\n"
    "# installed in /etc/ssl/certs.\n"
    "# Written by dockless: every certificate ca-certificates ships is enabled.\n"
)


def write_ca_bundle(sink: Sink) -> int:
    """Write the bundle and /etc/ca-certificates.conf; returns how many certificates went in (0: no package)."""
    names = sorted(
        (path[len(_SHARE) + 1 :] for path in sink.files_under(_SHARE) if path.endswith(".crt")),
        key=lambda name: name.encode(),
    )
    if not names:
        return 0
    bundle = bytearray()
    for name in names:
        pem = sink.read(f"{_SHARE}/{name}")
        bundle += pem if pem.endswith(b"\n") else pem + b"\n"
    sink.add(Entry(BUNDLE, data=bytes(bundle)))
    sink.add(Entry("etc/ca-certificates.conf", data=(_CONF_HEADER + "".join(f"{n}\n" for n in names)).encode()))
    return len(names)
