"""The Go checksum database, as the go command checks a module: signed notes, lookups and `h1:` hashes.

    verify_note(text, KEY)            -> the signed text (the tree head)       NoteError when no good signature
    parse_lookup(body, KEY)           -> Lookup(id, records, tree)             NoteError on a malformed body
    hash_zip(path)                    -> "h1:<base64>"                          ValueError on a bad zip

Sources: golang.org/x/mod/sumdb/note (a note is text ending in a newline, a
blank line, then lines `— <key name> <base64(4-byte key hash ‖ signature)>`;
an Ed25519 verifier key is `<name>+<hash hex>+<base64(0x01 ‖ public key)>`
and its hash is the first 4 bytes, big-endian, of sha256(name "\\n" 0x01 ‖ key));
golang.org/x/mod/sumdb/dirhash `Hash1` (for each file of the zip in name
order, `<sha256 hex>  <name>\\n`; the hash is base64(sha256(that summary)));
and the checksum database protocol (`/lookup/M@V` answers the record id,
the go.sum lines, a blank line and the signed tree head).

What is checked here: the tree head's Ed25519 signature by sum.golang.org's
key (the one the go command builds in). The record's inclusion in that tree
is proved by `tlog` (from the database's tiles), and the zip's h1 compared
with the record by the caller (`toolchain`), as the go command does.
"""

from __future__ import annotations

import base64
import hashlib
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

SUM_GOLANG_ORG = "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8"  # cmd/go's GOSUMDB key
_ALG_ED25519 = 1
_SIGNATURE = re.compile(r"^\u2014 (\S+) (\S+)$")


class NoteError(ValueError):
    """A note or lookup that does not verify; the message says why."""


@dataclass(frozen=True)
class Verifier:
    """An Ed25519 note verifier: the key's name, its 4-byte hash and the public key."""

    name: str
    key_hash: int
    key: Ed25519PublicKey

    @classmethod
    def parse(cls, vkey: str) -> Verifier:
        """From `<name>+<hash hex>+<base64 key>`; NoteError for anything else."""
        name, _, rest = vkey.partition("+")
        hash_hex, _, key_b64 = rest.partition("+")
        try:
            raw = base64.b64decode(key_b64, validate=True)
            key_hash = int(hash_hex, 16)
        except ValueError:
            raise NoteError(f"malformed verifier key {vkey!r}") from None
        if not name or len(hash_hex) != 8 or len(raw) != 33 or raw[0] != _ALG_ED25519:
            raise NoteError(f"malformed verifier key {vkey!r}")
        if int.from_bytes(hashlib.sha256(name.encode() + b"\n" + raw).digest()[:4], "big") != key_hash:
            raise NoteError(f"verifier key {vkey!r} does not match its hash")
        return cls(name, key_hash, Ed25519PublicKey.from_public_bytes(raw[1:]))


def verify_note(note: str, vkey: str = SUM_GOLANG_ORG) -> str:
    """The text of `note` when one of its signatures is `vkey`'s and verifies; else NoteError."""
    verifier = Verifier.parse(vkey)
    text, sep, signatures = note.rpartition("\n\n")
    if not sep or not signatures.endswith("\n"):
        raise NoteError("not a signed note (no blank line before the signatures, or no final newline)")
    text += "\n"
    for line in signatures[:-1].split("\n"):
        match = _SIGNATURE.match(line)
        if not match:
            raise NoteError(f"malformed signature line {line[:60]!r}")
        if match.group(1) != verifier.name:
            continue
        try:
            raw = base64.b64decode(match.group(2), validate=True)
        except ValueError:
            raise NoteError(f"malformed signature from {verifier.name}") from None
        if len(raw) < 5 or int.from_bytes(raw[:4], "big") != verifier.key_hash:
            continue
        try:
            verifier.key.verify(raw[4:], text.encode())
        except InvalidSignature:
            raise NoteError(f"the signature by {verifier.name} does not verify") from None
        return text
    raise NoteError(f"the note has no signature by {verifier.name}")


@dataclass(frozen=True)
class Tree:
    """A signed tree head: the number of records and the root hash (base64)."""

    size: int
    root: str


@dataclass(frozen=True)
class Lookup:
    """A verified `/lookup/M@V` answer: the record id, its go.sum lines ({"M V": "h1:…", "M V/go.mod": …})."""

    id: int
    records: dict[str, str]
    tree: Tree
    data: bytes  # the record as the tree hashes it: its go.sum lines, each ending in a newline


def parse_lookup(body: str, vkey: str = SUM_GOLANG_ORG) -> Lookup:
    """The records of a lookup answer whose tree head is signed by `vkey`; NoteError otherwise."""
    head, sep, note = body.partition("\n\n")
    lines = head.split("\n")
    if not sep or len(lines) < 2 or not lines[0].isdigit():
        raise NoteError("the lookup answer is not `<id>`, go.sum lines, a blank line and a signed tree head")
    tree_lines = verify_note(note, vkey).split("\n")
    if len(tree_lines) < 3 or tree_lines[0] != "go.sum database tree" or not tree_lines[1].isdigit():
        raise NoteError("the signed note is not a checksum database tree head")
    records: dict[str, str] = {}
    for line in lines[1:]:
        words = line.split(" ")
        if len(words) != 3 or not words[2].startswith("h1:"):
            raise NoteError(f"malformed go.sum line in the lookup answer: {line[:80]!r}")
        records[f"{words[0]} {words[1]}"] = words[2]
    return Lookup(int(lines[0]), records, Tree(int(tree_lines[1]), tree_lines[2]),
                  "".join(f"{line}\n" for line in lines[1:]).encode())


def hash_zip(path: Path) -> str:
    """The go.sum `h1:` hash of the module zip at `path` (dirhash.HashZip); ValueError for a bad zip."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = sorted(info.filename for info in archive.infolist())
            summary = hashlib.sha256()
            for name in names:
                if "\n" in name:
                    raise ValueError(f"file name with a newline in the zip: {name!r}")
                digest = hashlib.sha256()
                with archive.open(name) as member:
                    for block in iter(lambda: member.read(1 << 20), b""):
                        digest.update(block)
                summary.update(f"{digest.hexdigest()}  {name}\n".encode())
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise ValueError(f"not a readable zip: {exc}") from None
    return "h1:" + base64.b64encode(summary.digest()).decode()
