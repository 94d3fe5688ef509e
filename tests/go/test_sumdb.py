"""Unit tests for the checksum database checks: signed notes, lookups, the h1: hash of a module zip."""

from __future__ import annotations

import base64
import hashlib
import zipfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from buildpacks.go.sumdb import SUM_GOLANG_ORG, NoteError, hash_zip, parse_lookup, verify_note
from buildpacks.go.toolchain import proxy_url

FIXTURES = Path(__file__).parent / "fixtures"


def make_key(name: str) -> tuple[Ed25519PrivateKey, str, int]:
    """A fresh signer and its verifier key string, made by the rules of golang.org/x/mod/sumdb/note."""
    private = Ed25519PrivateKey.generate()
    raw = b"\x01" + private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    key_hash = int.from_bytes(hashlib.sha256(name.encode() + b"\n" + raw).digest()[:4], "big")
    return private, f"{name}+{key_hash:08x}+{base64.b64encode(raw).decode()}", key_hash


def sign(private: Ed25519PrivateKey, name: str, key_hash: int, text: str) -> str:
    signature = key_hash.to_bytes(4, "big") + private.sign(text.encode())
    return f"{text}\n\u2014 {name} {base64.b64encode(signature).decode()}\n"


def test_a_real_lookup_from_sum_golang_org_verifies() -> None:
    found = parse_lookup((FIXTURES / "chi-v5.2.3.lookup").read_text())
    assert found.id == 42644101 and found.tree.size == 66398721
    assert found.records["github.com/go-chi/chi/v5 v5.2.3"] == "h1:WQIt9uxdsAbgIYgid+BpYc+liqQZGMHRaUwp0JUcvdE="


def test_a_tampered_tree_head_does_not_verify() -> None:
    body = (FIXTURES / "chi-v5.2.3.lookup").read_text().replace("66398721", "66398722")
    with pytest.raises(NoteError, match="does not verify"):
        parse_lookup(body)


def test_a_note_signed_by_another_key_is_refused() -> None:
    private, vkey, key_hash = make_key("sum.golang.org")
    note = sign(private, "sum.golang.org", key_hash, "go.sum database tree\n1\nAAAA\n")
    assert verify_note(note, vkey) == "go.sum database tree\n1\nAAAA\n"
    with pytest.raises(NoteError, match="no signature by sum.golang.org"):
        verify_note(note, SUM_GOLANG_ORG)  # same name, other key hash: not the real key's signature


def test_note_grammar_errors() -> None:
    private, vkey, key_hash = make_key("example.com")
    with pytest.raises(NoteError, match="not a signed note"):
        verify_note("just text\n", vkey)
    with pytest.raises(NoteError, match="malformed signature line"):
        verify_note("text\n\nnot a signature\n", vkey)
    with pytest.raises(NoteError, match="does not match its hash"):
        verify_note("text\n\n", vkey.replace(vkey.split("+")[1], "00000000"))


def test_lookup_grammar_errors() -> None:
    private, vkey, key_hash = make_key("sum.golang.org")
    tree = sign(private, "sum.golang.org", key_hash, "go.sum database tree\n5\nAAAA\n")
    assert parse_lookup(f"3\nm v1.0.0 h1:abc=\nm v1.0.0/go.mod h1:def=\n\n{tree}", vkey).records == {
        "m v1.0.0": "h1:abc=", "m v1.0.0/go.mod": "h1:def="}
    with pytest.raises(NoteError, match="malformed go.sum line"):
        parse_lookup(f"3\nm v1.0.0 sha256:abc\n\n{tree}", vkey)
    with pytest.raises(NoteError, match="is not `<id>`"):
        parse_lookup(f"x\nm v1.0.0 h1:abc=\n\n{tree}", vkey)
    other = sign(private, "sum.golang.org", key_hash, "some other note\n")
    with pytest.raises(NoteError, match="not a checksum database tree head"):
        parse_lookup(f"3\nm v1.0.0 h1:abc=\n\n{other}", vkey)


def test_h1_is_dirhash_hash1_of_the_zip(tmp_path: Path) -> None:
    files = {"m@v1.0.0/go.mod": b"module m\n", "m@v1.0.0/a.go": b"package m\n"}
    with zipfile.ZipFile(tmp_path / "m.zip", "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    summary = "".join(f"{hashlib.sha256(files[n]).hexdigest()}  {n}\n" for n in sorted(files))
    assert hash_zip(tmp_path / "m.zip") == "h1:" + base64.b64encode(hashlib.sha256(summary.encode()).digest()).decode()
    (tmp_path / "bad.zip").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="not a readable zip"):
        hash_zip(tmp_path / "bad.zip")


@pytest.mark.parametrize(("goproxy", "base", "auth"), [
    ("", "https://proxy.golang.org", None),
    ("direct", "https://proxy.golang.org", None),
    ("file:///srv/goproxy,https://goproxy.example", "https://goproxy.example", None),
    ("https://goproxy.example/,direct", "https://goproxy.example", None),
    ("off|https://u:t0ken@goproxy.example:8443/p", "https://goproxy.example:8443/p", ("u", "t0ken")),
])
def test_proxy_url_takes_the_first_proxy_and_keeps_credentials_out_of_it(
        goproxy: str, base: str, auth: tuple[str, str] | None) -> None:
    assert proxy_url(goproxy) == (base, auth)
