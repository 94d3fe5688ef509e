"""`dockless stack create` refuses bad inputs end to end: nothing written, the cache left clean.

The mirror is a local proxy in front of the real Debian archive that can damage
chosen files on the way through, so every refusal happens on genuine signed data.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from builder.errors import IntegrityError, StackError
from tests.e2e.cli import Run, assert_clean_error, dockless

UPSTREAM = "http://deb.debian.org/debian"


class Mirror:
    """A proxy mirror at `.url`; `.damage(match, change)` alters responses whose path contains `match`."""

    def __init__(self) -> None:
        self.rules: list[tuple[str, Callable[[bytes], bytes]]] = []
        self.client = httpx.Client(timeout=120, follow_redirects=True)
        mirror = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                path = self.path.removeprefix("/debian")
                upstream = mirror.client.get(UPSTREAM + path)
                body = upstream.content
                for match, change in mirror.rules:
                    if match in path:
                        body = change(body)
                self.send_response(upstream.status_code)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/debian"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def damage(self, match: str, change: Callable[[bytes], bytes]) -> None:
        self.rules.append((match, change))

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.client.close()


@pytest.fixture
def mirror() -> Iterator[Mirror]:
    proxy = Mirror()
    yield proxy
    proxy.close()


def flip_last_byte(body: bytes) -> bytes:
    return body[:-1] + bytes([body[-1] ^ 0xFF])


def create(cache: Path, out: Path, *args: str) -> Run:
    return dockless("stack", "create", "--image", f"oci:{out}", *args, cache_dir=cache, timeout=600)


def debs(cache: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((cache / "debian" / "debs").glob("*.deb"))}


def assert_only_verified_debs(cache: Path) -> None:
    """Every cached .deb is named by the SHA256 of its bytes: nothing damaged was kept."""
    for name, data in debs(cache).items():
        assert hashlib.sha256(data).hexdigest() + ".deb" == name
    assert not list((cache / "debian").rglob("*.part"))


def assert_nothing_written(cache: Path, out: Path) -> None:
    assert not out.exists()
    assert not [p for p in (cache / "blobs").rglob("*") if p.is_file()]


def test_a_damaged_deb_from_the_mirror_is_refused(mirror: Mirror, tmp_path: Path) -> None:
    mirror.damage("/tzdata_", flip_last_byte)
    cache, out = tmp_path / "cache", tmp_path / "out"
    run = create(cache, out, "--mirror", mirror.url)
    assert_clean_error(run, IntegrityError.exit_code, "tzdata", "does not match")
    assert_nothing_written(cache, out)
    assert_only_verified_debs(cache)


def test_a_corrupted_cached_deb_is_never_used(mirror: Mirror, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = create(cache, tmp_path / "first", "--mirror", mirror.url)
    assert first.code == 0, first.stderr
    cached = debs(cache)
    victim = max(cached, key=lambda name: len(cached[name]))  # the largest: libc6 or tzdata
    (cache / "debian" / "debs" / victim).write_bytes(flip_last_byte(cached[victim]))

    # the mirror now serves the same damage: the bad file must be refused, not trusted
    mirror.damage(".deb", lambda body: flip_last_byte(body) if hashlib.sha256(body).hexdigest() + ".deb" == victim
                  else body)  # fmt: skip
    refused = create(cache, tmp_path / "second", "--mirror", mirror.url)
    assert_clean_error(refused, IntegrityError.exit_code, "does not match")
    assert not (tmp_path / "second").exists()
    assert_only_verified_debs(cache)
    assert {n: d for n, d in debs(cache).items()} == {n: d for n, d in cached.items() if n != victim}

    # an honest mirror repairs the cache and gives the very same image
    mirror.rules.clear()
    repaired = create(cache, tmp_path / "third", "--mirror", mirror.url)
    assert repaired.code == 0, repaired.stderr
    assert repaired.last_line == first.last_line
    assert debs(cache) == cached


def test_a_tampered_packages_index_is_refused(mirror: Mirror, tmp_path: Path) -> None:
    mirror.damage("/binary-amd64/", flip_last_byte)  # Packages.xz, by-hash or not
    cache, out = tmp_path / "cache", tmp_path / "out"
    run = create(cache, out, "--mirror", mirror.url)
    assert_clean_error(run, IntegrityError.exit_code, "SHA256")
    assert_nothing_written(cache, out)
    assert not list((cache / "debian").rglob("*.deb"))
    for index in (cache / "debian" / "indexes").glob("*"):
        assert hashlib.sha256(index.read_bytes()).hexdigest() == index.name.split(".")[0]


def test_a_tampered_release_is_refused(mirror: Mirror, tmp_path: Path) -> None:
    mirror.damage("/InRelease", lambda body: body.replace(b"Suite: stable", b"Suite: stabIe", 1))
    run = create(tmp_path / "cache", tmp_path / "out", "--mirror", mirror.url)
    assert_clean_error(run, StackError.exit_code, "signature")
    assert not (tmp_path / "out").exists()


def test_unknown_package_and_unreachable_mirror_are_one_line_errors(tmp_path: Path) -> None:
    unknown = create(tmp_path / "cache", tmp_path / "out", "--add", "no-such-package-here")
    assert_clean_error(unknown, StackError.exit_code, "no-such-package-here")
    offline = create(tmp_path / "cache2", tmp_path / "out", "--mirror", "http://127.0.0.1:9/debian")
    assert_clean_error(offline, StackError.exit_code, "127.0.0.1:9")
    assert not (tmp_path / "out").exists()
