"""Verified, content-addressed downloads and TTL-cached metadata, against a real local HTTP server.

The server is `http.server` on a loopback port; "offline" is that server shut
down (connection refused), "broken" is it answering 503.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from builder.buildpack.download import Downloader, Expected, LazyClient
from builder.errors import BuildError, IntegrityError

BODY = b"a release tarball\n" * 1000
SHA256 = hashlib.sha256(BODY).digest()
SHA512 = hashlib.sha512(BODY).digest()


class Server:
    """A loopback HTTP server: `files` by path, a status override, and a request count per path."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {"/rel.tgz": BODY, "/meta.json": b'{"versions": {"1.0.0": {}}}'}
        self.status: int | None = None
        self.requests: dict[str, int] = {}
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                server.requests[self.path] = server.requests.get(self.path, 0) + 1
                body = server.files.get(self.path)
                status = server.status or (200 if body is not None else 404)
                self.send_response(status)
                self.send_header("Content-Length", str(len(body or b"") if status == 200 else 0))
                self.end_headers()
                if status == 200 and body is not None:
                    self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        """Go offline: the port refuses connections from now on."""
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


@pytest.fixture
def server() -> Iterator[Server]:
    s = Server()
    yield s
    if s.thread.is_alive():
        s.stop()


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(trust_env=False, timeout=10) as c:  # no proxy for loopback
        yield c


def files_under(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()) if root.exists() else []


# --- Expected ---------------------------------------------------------------------------------

def test_expected_from_sri_keeps_only_sha256_and_sha512() -> None:
    sri = (f"sha1-{base64.b64encode(hashlib.sha1(BODY).digest()).decode()} "
           f"sha512-{base64.b64encode(SHA512).decode()}?opt sha256-bad!! sha512-{base64.b64encode(b'short').decode()}")
    assert Expected.from_sri(sri) == Expected(sha512=frozenset({SHA512}))
    assert not Expected.from_sri("sha1-" + base64.b64encode(hashlib.sha1(BODY).digest()).decode())
    assert Expected.hexdigests(sha256=SHA256.hex()).names() == "sha256"
    assert Expected.hexdigests(sha256=[SHA256.hex()], sha512=SHA512.hex()).names() == "sha256 or sha512"
    with pytest.raises(ValueError):
        Expected.hexdigests(sha256=SHA512.hex())  # a sha512 where a sha256 belongs


# --- fetch ----------------------------------------------------------------------------------------

def test_a_verified_download_is_stored_by_content_and_not_fetched_again(server: Server, client: httpx.Client,
                                                                        tmp_path: Path) -> None:
    path = Downloader(client, tmp_path).fetch(f"{server.url}/rel.tgz", Expected(sha512=frozenset({SHA512})), "rel 1.0")
    assert path == tmp_path / "blobs" / "sha512" / SHA512.hex() and path.read_bytes() == BODY
    assert files_under(tmp_path) == [f"blobs/sha256/{SHA256.hex()}", f"blobs/sha512/{SHA512.hex()}"]
    # a second build (new downloader, same cache), even one that knows only the sha256, reads the store
    again = Downloader(client, tmp_path).fetch(f"{server.url}/rel.tgz", Expected.hexdigests(sha256=SHA256.hex()), "rel")
    assert again.read_bytes() == BODY
    assert server.requests == {"/rel.tgz": 1}


def test_any_one_matching_digest_is_enough(server: Server, client: httpx.Client, tmp_path: Path) -> None:
    expected = Expected.hexdigests(sha256="00" * 32, sha512=SHA512.hex())
    assert Downloader(client, tmp_path).fetch(f"{server.url}/rel.tgz", expected, "rel").read_bytes() == BODY


def test_a_mismatch_is_an_integrity_error_and_leaves_nothing(server: Server, client: httpx.Client,
                                                             tmp_path: Path) -> None:
    wrong = Expected.hexdigests(sha256="11" * 32, sha512="22" * 64)
    with pytest.raises(IntegrityError) as info:
        Downloader(client, tmp_path).fetch(f"{server.url}/rel.tgz", wrong, "rel 1.0")
    assert info.value.exit_code == 7
    assert info.value.message.startswith(
        f"rel 1.0 from {server.url}/rel.tgz does not match the sha256 or sha512 digest")
    assert files_under(tmp_path) == []


def test_nothing_to_verify_against_is_refused_before_downloading(server: Server, client: httpx.Client,
                                                                 tmp_path: Path) -> None:
    with pytest.raises(IntegrityError, match="no sha256 or sha512 digest is known for rel"):
        Downloader(client, tmp_path).fetch(f"{server.url}/rel.tgz", Expected(), "rel")
    assert server.requests == {}


def test_error_status_and_unreachable_server_are_build_errors(server: Server, client: httpx.Client,
                                                              tmp_path: Path) -> None:
    downloader = Downloader(client, tmp_path, hint="check the mirror")
    with pytest.raises(BuildError) as info:
        downloader.fetch(f"{server.url}/missing.tgz", Expected(sha512=frozenset({SHA512})), "rel")
    assert info.value.exit_code == 5 and f"answered 404 for {server.url}/missing.tgz (rel)" in info.value.message
    assert info.value.hint == "check the mirror"
    server.stop()
    with pytest.raises(BuildError, match=f"could not download rel from {server.url}/rel.tgz"):
        downloader.fetch(f"{server.url}/rel.tgz", Expected(sha512=frozenset({SHA512})), "rel")
    assert files_under(tmp_path) == []


def test_a_damaged_stored_copy_is_fetched_again(server: Server, client: httpx.Client, tmp_path: Path) -> None:
    expected = Expected(sha512=frozenset({SHA512}))
    path = Downloader(client, tmp_path).fetch(f"{server.url}/rel.tgz", expected, "rel")
    path.chmod(0o644)
    path.write_bytes(BODY[:100])  # a truncated copy
    assert Downloader(client, tmp_path).fetch(f"{server.url}/rel.tgz", expected, "rel").read_bytes() == BODY
    assert server.requests == {"/rel.tgz": 2}


def test_a_stored_download_needs_no_client_at_all(server: Server, client: httpx.Client, tmp_path: Path) -> None:
    expected = Expected(sha512=frozenset({SHA512}))
    Downloader(client, tmp_path).fetch(f"{server.url}/rel.tgz", expected, "rel")

    def no_network() -> httpx.Client:
        raise AssertionError("the client was made")

    with LazyClient(no_network) as lazy:
        assert Downloader(lazy, tmp_path).fetch(f"{server.url}/rel.tgz", expected, "rel").read_bytes() == BODY


# --- fetch_json -----------------------------------------------------------------------------------

def test_metadata_is_cached_for_the_ttl(server: Server, client: httpx.Client, tmp_path: Path) -> None:
    fresh = Downloader(client, tmp_path)
    assert fresh.fetch_json(f"{server.url}/meta.json", "rel versions", ttl=600) == {"versions": {"1.0.0": {}}}
    assert fresh.fetch_json(f"{server.url}/meta.json", "rel versions", ttl=600) == {"versions": {"1.0.0": {}}}
    assert server.requests == {"/meta.json": 1}
    server.files["/meta.json"] = b'{"versions": {"1.0.0": {}, "1.1.0": {}}}'
    newer = fresh.fetch_json(f"{server.url}/meta.json", "rel versions", ttl=0)
    assert newer == {"versions": {"1.0.0": {}, "1.1.0": {}}}
    assert server.requests == {"/meta.json": 2}


def test_offline_a_stale_copy_is_used_and_logged(server: Server, client: httpx.Client, tmp_path: Path) -> None:
    logged: list[str] = []
    downloader = Downloader(client, tmp_path, logged.append)
    url = f"{server.url}/meta.json"
    document = downloader.fetch_json(url, "rel versions", ttl=600)
    server.status = 503
    assert downloader.fetch_json(url, "rel versions", ttl=0) == document
    assert logged == [f"{server.url.removeprefix('http://')} answered 503; "
                      "using the cached rel versions, fetched just now"]
    server.stop()
    assert downloader.fetch_json(url, "rel versions", ttl=0) == document
    assert "unreachable" in logged[-1] and logged[-1].endswith("using the cached rel versions, fetched just now")
    with pytest.raises(BuildError, match=f"could not fetch the other versions from {server.url}/other.json"):
        downloader.fetch_json(f"{server.url}/other.json", "other versions", ttl=600)


def test_not_found_is_none_and_bad_answers_are_errors(server: Server, client: httpx.Client, tmp_path: Path) -> None:
    downloader = Downloader(client, tmp_path)
    assert downloader.fetch_json(f"{server.url}/nope.json", "nope versions", ttl=600) is None
    server.files["/html"] = b"<html>login</html>"
    with pytest.raises(BuildError, match="sent something that is not JSON"):
        downloader.fetch_json(f"{server.url}/html", "versions", ttl=600)
    with pytest.raises(BuildError, match="the versions from .* is not in the expected form"):
        downloader.fetch_json(f"{server.url}/meta.json", "versions", ttl=600, valid=lambda d: "time" in d)
    server.status = 403
    with pytest.raises(BuildError, match="answered 403"):
        downloader.fetch_json(f"{server.url}/meta.json", "versions", ttl=600)


def test_a_cached_copy_of_the_wrong_shape_is_not_a_fallback(server: Server, client: httpx.Client,
                                                           tmp_path: Path) -> None:
    downloader = Downloader(client, tmp_path)
    downloader.fetch_json(f"{server.url}/meta.json", "versions", ttl=600)
    server.stop()
    with pytest.raises(BuildError, match="could not fetch the versions"):
        downloader.fetch_json(f"{server.url}/meta.json", "versions", ttl=0, valid=lambda d: "time" in d)
    stored = [p for p in (tmp_path / "metadata").iterdir()]
    assert [json.loads(p.read_bytes()) for p in stored] == [{"versions": {"1.0.0": {}}}]  # kept as it was
