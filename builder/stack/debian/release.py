"""A suite's InRelease, trusted only after gpgv checked it against the Debian archive keyring.

Only the text gpgv writes out (the signed part) is ever parsed, so nothing a mirror
appends around the signature can reach the index checksums. InRelease is fetched
fresh on every run: it is a few hundred kilobytes and it is the one file that tells
us whether everything else cached is still current.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from types import MappingProxyType

import httpx

from builder.errors import StackError

from . import _http

DEFAULT_MIRROR = "http://deb.debian.org/debian"
SYSTEM_KEYRING = Path("/usr/share/keyrings/debian-archive-keyring.gpg")
_PACKAGED_KEYRING = "debian-archive-keyring.gpg"


@dataclass(frozen=True)
class IndexFile:
    """One line of the Release's SHA256 table: a file under dists/<suite>/."""

    path: str
    size: int
    sha256: str


@dataclass(frozen=True)
class Release:
    """The verified facts of one suite: what it is, when it was cut, and its index checksums."""

    suite: str
    codename: str
    version: str
    date: datetime
    valid_until: datetime | None
    architectures: tuple[str, ...]
    components: tuple[str, ...]
    acquire_by_hash: bool
    sha256: Mapping[str, IndexFile] = field(hash=False, repr=False)

    def index_file(self, path: str) -> IndexFile:
        """The checksum entry for `path` (e.g. main/binary-amd64/Packages.xz); StackError if unlisted."""
        try:
            return self.sha256[path]
        except KeyError:
            raise StackError(
                f"the {self.codename} Release does not list {path}",
                "check --arch and the component; the mirror may not carry that architecture",
            ) from None


def find_keyrings(keyring: Path | None = None) -> tuple[Path, ...]:
    """The keyrings to trust: the one asked for; else the system's and the copy shipped with dockless.

    Both, when there is no choice made: an old host's keyring may lack a new suite's key,
    and the shipped copy ages too. Either only ever holds Debian's own archive keys.
    """
    if keyring is not None:
        if not keyring.is_file():
            raise StackError(f"the keyring {keyring} does not exist", "pass the path of a Debian archive keyring")
        return (keyring,)
    found = tuple(path for path in (SYSTEM_KEYRING, Path(__file__).with_name(_PACKAGED_KEYRING)) if path.is_file())
    if not found:
        raise StackError(
            "no Debian archive keyring found to check the mirror's signature",
            "install the debian-archive-keyring package",
        )
    return found


def verify_clearsigned(data: bytes, keyrings: Sequence[Path]) -> bytes:
    """The signed text of an InRelease, as gpgv wrote it; StackError unless a trusted key signed it."""
    _check_one_message(data)
    gpgv = shutil.which("gpgv")
    if gpgv is None:
        raise StackError(
            "gpgv is not installed, so the Debian archive signature cannot be checked",
            "install gpgv (apt-get install gpgv)",
        )
    with tempfile.TemporaryDirectory(prefix="dockless-gpgv-") as home:
        signed = Path(home) / "InRelease"
        signed.write_bytes(data)
        # A private --homedir: no user trustedkeys.kbx sneaks extra keys in.
        command = [gpgv, "--homedir", home, "--status-fd", "2", "--output", "-"]
        for keyring in keyrings:
            command += ["--keyring", str(keyring)]
        result = subprocess.run([*command, str(signed)], capture_output=True, check=False)
    status = [
        line.split()[1]
        for line in result.stderr.decode(errors="replace").splitlines()
        if line.startswith("[GNUPG:] ") and len(line.split()) > 1
    ]
    # Like apt: one good signature from a trusted key is enough, any bad one refuses.
    if "BADSIG" in status or "GOODSIG" not in status or "VALIDSIG" not in status:
        raise StackError(
            "the InRelease signature did not verify against the Debian archive keyring",
            "the mirror served a tampered or incomplete file, or your keyring is too old for this suite",
        )
    return result.stdout


def _check_one_message(data: bytes) -> None:
    """Refuse anything but a single clearsigned message, as apt does: no text before, after or between."""
    lines = [line.rstrip(b"\r") for line in data.strip().split(b"\n")]
    begins = [line for line in lines if line.startswith(b"-----BEGIN PGP ")]
    if (
        lines[0] != b"-----BEGIN PGP SIGNED MESSAGE-----"
        or lines[-1] != b"-----END PGP SIGNATURE-----"
        or begins != [b"-----BEGIN PGP SIGNED MESSAGE-----", b"-----BEGIN PGP SIGNATURE-----"]
        or sum(line.startswith(b"-----END PGP ") for line in lines) != 1
    ):
        raise StackError(
            "the InRelease is not a single clearsigned message",
            "the mirror served a damaged file or added unsigned text to it; try another --mirror",
        )


def parse_release(text: bytes) -> Release:
    """The Release fields dockless uses, from already-verified text."""
    from debian import deb822  # imported on first use: start-up stays fast

    fields = deb822.Release(text)
    try:
        table = {
            entry["name"]: IndexFile(entry["name"], int(entry["size"]), entry["sha256"].lower())
            for entry in fields.get("SHA256", [])
        }
        valid_until = fields.get("Valid-Until")
        return Release(
            suite=fields.get("Suite", ""),
            codename=fields.get("Codename", ""),
            version=fields.get("Version", ""),
            date=_date(fields["Date"]),
            valid_until=_date(valid_until) if valid_until else None,
            architectures=tuple(fields.get("Architectures", "").split()),
            components=tuple(fields.get("Components", "").split()),
            acquire_by_hash=fields.get("Acquire-By-Hash", "no").lower() == "yes",
            sha256=MappingProxyType(table),
        )
    except (KeyError, ValueError, TypeError) as exc:
        raise StackError(
            f"the signed Release is malformed ({exc})", "report this mirror; its Release is not in Debian's format"
        ) from exc


def fetch_release(
    client: httpx.Client,
    suite: str,
    *,
    mirror: str = DEFAULT_MIRROR,
    keyring: Path | None = None,
    now: datetime | None = None,
) -> Release:
    """Download, verify and parse dists/<suite>/InRelease; refuse another suite's or an expired one."""
    data = _http.get(client, _http.join(mirror, f"dists/{suite}/InRelease"), f"the InRelease of '{suite}'")
    release = parse_release(verify_clearsigned(data, find_keyrings(keyring)))
    if suite not in (release.suite, release.codename):
        raise StackError(
            f"asked for '{suite}' but the mirror's signed Release is for {release.codename} ({release.suite})",
            "the mirror is misconfigured or replaying another suite",
        )
    moment = now or datetime.now(UTC)
    if release.valid_until is not None and release.valid_until < moment:
        raise StackError(
            f"the {release.codename} Release expired on {release.valid_until:%Y-%m-%d}",
            "the mirror is stale or replaying an old Release; try another --mirror",
        )
    return release


def _date(text: str) -> datetime:
    value = parsedate_to_datetime(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)
