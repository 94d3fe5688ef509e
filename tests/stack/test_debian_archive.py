"""The Debian archive client against the real archive (deb.debian.org, trixie).

Tampering is done by a transport that forwards to the real mirror and changes the
bytes on the way back, so every check runs on genuine signed data.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

import builder.stack.debian as debian
from builder.errors import IntegrityError, StackError
from builder.stack.debian import Archive, Deb, fetch_release

DEFAULT_RUN_SET = [
    "base-files", "netbase", "tzdata", "ca-certificates", "libc6",
    "libgcc-s1", "libstdc++6", "libssl3t64", "zlib1g", "dash",
]  # fmt: skip


class Tamper(httpx.BaseTransport):
    """Forwards to the real network; responses whose path contains `match` get `change`d."""

    def __init__(self, match: str, change: Callable[[bytes], bytes]) -> None:
        self.real = httpx.HTTPTransport()
        self.match = match
        self.change = change
        self.seen: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request.url.path)
        response = self.real.handle_request(request)
        if self.match not in request.url.path:
            return response
        body = response.read()
        response.close()
        return httpx.Response(response.status_code, content=self.change(body))


def client(transport: httpx.BaseTransport | None = None) -> httpx.Client:
    return httpx.Client(transport=transport, timeout=60)


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("debian-cache")


@pytest.fixture(scope="module")
def archive(cache: Path) -> Iterator[Archive]:
    with client() as http:
        yield Archive(cache, http, suite="trixie", arch="amd64")


# --- Release -----------------------------------------------------------------


def test_trixie_release_verifies(archive: Archive) -> None:
    release = archive.release()
    assert release.codename == "trixie"
    assert release.version.startswith("13")
    assert release.date.tzinfo is not None
    entry = release.index_file("main/binary-amd64/Packages.xz")
    assert len(entry.sha256) == 64 and entry.size > 1_000_000


def _flip_version(body: bytes) -> bytes:
    """One byte of the signed text changed: 'Version: 13.x' becomes 'Version: 14.x'."""
    assert b"\nVersion: 13" in body
    return body.replace(b"\nVersion: 13", b"\nVersion: 14", 1)


@pytest.mark.parametrize(
    "change",
    [
        _flip_version,
        lambda body: body + b"SHA256:\n " + b"0" * 64 + b" 1 main/binary-amd64/Packages.xz\n",
        lambda body: b"Origin: evil\n\n" + body,
    ],
    ids=["one-byte-changed", "unsigned-text-appended", "unsigned-text-prepended"],
)
def test_tampered_inrelease_is_refused(change: Callable[[bytes], bytes]) -> None:
    with client(Tamper("/InRelease", change)) as http, pytest.raises(StackError) as caught:
        fetch_release(http, "trixie")
    assert "InRelease" in caught.value.message


def test_another_suites_release_is_refused() -> None:
    """A mirror answering trixie with bookworm's (validly signed) Release is caught."""

    class Replay(httpx.BaseTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            url = str(request.url).replace("/dists/trixie/", "/dists/bookworm/")
            return httpx.HTTPTransport().handle_request(httpx.Request("GET", url))

    with client(Replay()) as http, pytest.raises(StackError, match="asked for 'trixie'"):
        fetch_release(http, "trixie")


def test_missing_gpgv_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with client() as http, pytest.raises(StackError, match="gpgv") as caught:
        fetch_release(http, "trixie")
    assert "apt-get install gpgv" in caught.value.hint


def test_missing_keyring_is_a_clear_error(tmp_path: Path) -> None:
    with client() as http, pytest.raises(StackError, match="keyring"):
        fetch_release(http, "trixie", keyring=tmp_path / "none.gpg")


def test_unknown_architecture_is_refused(tmp_path: Path) -> None:
    with client() as http, pytest.raises(StackError, match="no 'vax' packages") as caught:
        Archive(tmp_path, http, arch="vax").release()
    assert "arm64" in caught.value.hint


def test_unknown_suite_and_unreachable_mirror_are_stack_errors() -> None:
    with client() as http:
        with pytest.raises(StackError, match="not on the mirror"):
            fetch_release(http, "no-such-suite")
        with pytest.raises(StackError, match="could not download"):
            fetch_release(http, "trixie", mirror="http://127.0.0.1:9/debian")


# --- Packages index and resolution ---------------------------------------------


def test_default_run_set_closure(archive: Archive) -> None:
    closure = archive.resolve(DEFAULT_RUN_SET)
    names = [p.name for p in closure]
    assert names == sorted(names)
    assert set(DEFAULT_RUN_SET) <= set(names)
    # ca-certificates brings openssl and debconf; base-files' Pre-Depends awk brings mawk.
    assert {"openssl", "debconf", "mawk", "debianutils", "gcc-14-base", "libzstd1"} <= set(names)
    assert not {"perl", "perl-base", "systemd", "libsystemd0", "bash", "coreutils"} & set(names)
    assert archive.resolve(reversed(DEFAULT_RUN_SET)) == closure


def test_skip_set_is_subtracted(archive: Archive) -> None:
    closure = {p.name for p in archive.resolve(DEFAULT_RUN_SET, exclude={"debconf", "openssl", "perl-base"})}
    assert not {"debconf", "openssl", "perl-base"} & closure
    assert {"ca-certificates", "tzdata", "libssl3t64"} <= closure


def test_virtual_names_resolve_to_a_real_provider(archive: Archive) -> None:
    assert "libssl3t64" in {p.name for p in archive.resolve(["libssl3"])}  # libssl3 is only a Provides
    assert "mawk" in {p.name for p in archive.resolve(["awk"])}  # Priority required beats gawk


def test_unknown_package_suggests_names(archive: Archive) -> None:
    with pytest.raises(StackError, match="'libssl3t46' is not in trixie/main") as caught:
        archive.resolve(["libc6", "libssl3t46"])
    assert "libssl3t64" in caught.value.hint


def test_index_is_cached_by_digest(archive: Archive, cache: Path) -> None:
    archive.packages()
    entry = archive.release().index_file("main/binary-amd64/Packages.xz")
    assert (cache / "indexes" / f"{entry.sha256}.xz").is_file()
    counting = Tamper("/never", lambda body: body)
    with client(counting) as http:
        again = Archive(cache, http)
        assert again.packages().get("libc6") is not None
    assert counting.seen and not [path for path in counting.seen if "binary-amd64" in path]


def test_corrupt_cached_index_is_fetched_again(archive: Archive, tmp_path: Path) -> None:
    entry = archive.release().index_file("main/binary-amd64/Packages.xz")
    cached = tmp_path / "indexes" / f"{entry.sha256}.xz"
    cached.parent.mkdir()
    cached.write_bytes(b"\0" * entry.size)
    with client() as http:
        assert Archive(tmp_path, http).packages().get("libc6") is not None
    assert hashlib.sha256(cached.read_bytes()).hexdigest() == entry.sha256


def test_tampered_index_is_refused_and_not_cached(tmp_path: Path) -> None:
    def flip(body: bytes) -> bytes:
        return body[:1000] + bytes([body[1000] ^ 1]) + body[1001:]

    with client(Tamper("/main/binary-amd64/", flip)) as http, pytest.raises(IntegrityError):
        Archive(tmp_path, http).packages()
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


# --- .deb downloads ----------------------------------------------------------


def test_fetch_verifies_and_repairs_the_cache(archive: Archive, cache: Path) -> None:
    netbase = archive.packages().get("netbase")
    assert netbase is not None
    reports: list[tuple[int, int]] = []
    [path] = archive.fetch([netbase], progress=lambda done, total: reports.append((done, total)))
    assert path == cache / "debs" / f"{netbase.sha256}.deb"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == netbase.sha256
    assert reports[-1] == (netbase.size, netbase.size)

    path.write_bytes(b"corrupted" + path.read_bytes()[9:])  # same size, wrong content
    [again] = archive.fetch([netbase])
    assert again == path
    assert hashlib.sha256(path.read_bytes()).hexdigest() == netbase.sha256


def test_tampered_package_entry_is_refused(archive: Archive, tmp_path: Path) -> None:
    netbase = archive.packages().get("netbase")
    assert netbase is not None
    forged = dataclasses.replace(netbase, sha256=hashlib.sha256(b"forged").hexdigest())
    with client() as http, pytest.raises(IntegrityError, match="netbase"):
        Archive(tmp_path, http).fetch([forged])
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]
    wrong_size = dataclasses.replace(netbase, size=netbase.size - 1)
    with client() as http, pytest.raises(IntegrityError):
        debian.fetch_debs(http, debian.DEFAULT_MIRROR, [wrong_size], tmp_path)
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_one_bad_download_among_many_leaves_only_verified_files(archive: Archive, tmp_path: Path) -> None:
    closure = archive.resolve(DEFAULT_RUN_SET)
    forged = dataclasses.replace(closure[3], sha256=hashlib.sha256(b"forged").hexdigest())
    with client() as http, pytest.raises(IntegrityError):
        Archive(tmp_path, http).fetch([*closure[:3], forged, *closure[4:]])
    left = [p for p in tmp_path.rglob("*") if p.is_file()]
    good = {f"{pkg.sha256}.deb": pkg for pkg in closure}
    for path in left:
        assert path.name in good and hashlib.sha256(path.read_bytes()).hexdigest() == good[path.name].sha256


def test_fetch_default_run_set_in_parallel(archive: Archive) -> None:
    closure = archive.resolve(DEFAULT_RUN_SET)
    reports: list[tuple[int, int]] = []
    paths = archive.fetch(closure, progress=lambda done, total: reports.append((done, total)))
    total = sum(pkg.size for pkg in closure)
    assert reports[-1] == (total, total)
    assert [done for done, _ in reports] == sorted(done for done, _ in reports)
    assert [p.name for p in paths] == [f"{pkg.sha256}.deb" for pkg in closure]
    for pkg, path in zip(closure, paths, strict=True):
        assert Deb(path).control().package == pkg.name


# --- reading a real .deb -----------------------------------------------------


def test_real_netbase_deb_is_read(archive: Archive) -> None:
    netbase = archive.packages().get("netbase")
    assert netbase is not None
    deb = Deb(archive.fetch([netbase])[0])
    entries = {e.path: e for e in deb.entries()}
    services = entries["etc/services"]
    assert services.kind == "file" and services.data.startswith(b"#") and services.size == len(services.data)
    assert entries["etc"].kind == "dir"
    assert not [p for p in entries if p.startswith(("./", "/"))]
    assert deb.files()[:2] == ["/.", "/etc"]
    control = deb.control()
    assert control.package == "netbase" and control.version == netbase.version
    assert control.text.startswith("Package: netbase\n")
    assert "/etc/services" in control.conffiles
    assert "postinst" in control.scripts


def test_public_api_is_exported() -> None:
    for name in debian.__all__:
        assert hasattr(debian, name), name
