"""The hash in `"packageManager": "pnpm@9.15.0+sha512.<hex>"`, checked as corepack checks it.

Corepack's format is `name@version+<algorithm>.<hex digest>`, the digest of
the file corepack downloads: for npm, pnpm and yarn 1 the package tarball from
the npm registry; for yarn 2+ (`@yarnpkg/cli-dist`) by default the single
`yarn.js` from repo.yarnpkg.com, which is the tarball's `bin/yarn.js`. `corepack
use` writes sha512 (older corepack wrote sha224 or sha256). A mismatch means the
app pinned a different artifact than the registry serves: corepack refuses to
run it, and so does dockless (IntegrityError, exit 7).

The npm registry publishes each tarball's sha512 (`dist.integrity`, base64) and
sha1 (`dist.shasum`), and the tarball download is verified against the first.
So a sha512 or sha1 pin is checked against the registry's metadata without a
download (equal there means equal to the verified download, and works when the
tool is already in the layer cache); any other algorithm, or a yarn 2+ pin that
is not the tarball's, is checked against the downloaded tarball itself.
"""

from __future__ import annotations

import base64
import hashlib
import re
import tarfile
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from builder.errors import IntegrityError, UsageError

from .registry import NpmRegistry

ALGORITHMS = ("sha1", "sha224", "sha256", "sha384", "sha512")
_PIN = re.compile(r"^(sha1|sha224|sha256|sha384|sha512)\.([0-9a-fA-F]+)$")
_LENGTHS = {"sha1": 40, "sha224": 56, "sha256": 64, "sha384": 96, "sha512": 128}
_BERRY_BUNDLE = "package/bin/yarn.js"


@dataclass(frozen=True)
class Pin:
    """A corepack hash: the algorithm and the hex digest."""

    algorithm: str
    digest: str

    def __str__(self) -> str:
        return f"{self.algorithm}.{self.digest}"


def parse_pin(text: str, field: str) -> Pin:
    """`sha512.<hex>` (the part after `+` in packageManager) as a Pin; UsageError when malformed."""
    match = _PIN.match(text.strip())
    if match is None or len(match[2]) != _LENGTHS[match[1]]:
        raise UsageError(f"package.json packageManager '{field}' has a hash dockless cannot read",
                         "corepack's format is name@version+sha512.<128 hex digits> (or sha256, sha224, sha1); "
                         "'corepack use name@version' writes it")
    return Pin(match[1], match[2].lower())


def verify(registry: NpmRegistry, manifest: Mapping[str, Any], pin: Pin, what: str, *, berry: bool = False) -> None:
    """Raise IntegrityError unless `pin` is the digest of the tarball of `manifest` (or, `berry`, of its yarn.js)."""
    found = manifest.get("dist")
    dist: Mapping[str, Any] = found if isinstance(found, dict) else {}
    if pin.algorithm == "sha512" and bytes.fromhex(pin.digest) in _integrity(str(dist.get("integrity", ""))):
        return
    if pin.algorithm == "sha1" and str(dist.get("shasum", "")).lower() == pin.digest:
        return
    if pin.algorithm in ("sha512", "sha1") and not berry:
        _mismatch(pin, what)
    with registry.tarball(manifest, what) as tgz:
        tarball = hashlib.new(pin.algorithm, tgz.read_bytes()).hexdigest()
        if tarball == pin.digest:
            return
        if berry and _bundle_digest(tgz, pin.algorithm) == pin.digest:
            return
    _mismatch(pin, what)


def _mismatch(pin: Pin, what: str) -> None:
    raise IntegrityError(f"{what} from the npm registry does not match the {pin.algorithm} hash in "
                         "package.json packageManager",
                         "the pinned hash is of another file: re-pin with 'corepack use name@version' "
                         "(or drop the +hash part), and check where the old one came from")


def _integrity(text: str) -> set[bytes]:
    found = set()
    for token in text.split():
        algorithm, _, value = token.partition("-")
        if algorithm == "sha512":
            try:
                found.add(base64.b64decode(value.split("?", 1)[0], validate=True))
            except ValueError:
                continue
    return found


def _bundle_digest(tgz: Any, algorithm: str) -> str | None:
    try:
        with tarfile.open(tgz, "r:gz") as tar:
            member = tar.extractfile(_BERRY_BUNDLE)
            return hashlib.new(algorithm, member.read()).hexdigest() if member else None
    except (KeyError, tarfile.TarError, OSError):
        return None
