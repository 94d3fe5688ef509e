"""GoProxy's checks end to end over a mock transport serving recorded sum.golang.org answers.

The lookup, tiles and zip of github.com/go-chi/chi/v5@v5.2.3 were recorded from the real proxy,
so what passes here passed there; each test then changes one thing an attacker could change.
"""

from __future__ import annotations

import base64
import json
import zipfile
from pathlib import Path

import httpx
import pytest

from buildpacks.go.toolchain import GoProxy, unpack_goroot
from builder.buildpack.download import Downloader
from builder.errors import BuildError, IntegrityError

FIXTURES = Path(__file__).parent / "fixtures"
MODULE, VERSION = "github.com/go-chi/chi/v5", "v5.2.3"
BASE = "https://proxy.example"


def serve(tmp_path: Path, changes: dict[str, bytes | None] | None = None) -> GoProxy:
    answers: dict[str, bytes | None] = {
        f"/sumdb/sum.golang.org/lookup/{MODULE}@{VERSION}": (FIXTURES / "chi-v5.2.3.lookup").read_bytes(),
        f"/{MODULE}/@v/{VERSION}.zip": (FIXTURES / "chi-v5.2.3.zip").read_bytes(),
        "/golang.org/toolchain/@v/list": b"v0.0.1-go1.24.4.linux-amd64\nv0.0.1-go1.24.3.linux-amd64\n",
    }
    for path, data in json.loads((FIXTURES / "chi-v5.2.3.tiles.json").read_text()).items():
        answers[f"/sumdb/sum.golang.org/{path}"] = base64.b64decode(data)
    answers.update(changes or {})

    def handler(request: httpx.Request) -> httpx.Response:
        body = answers.get(request.url.path)
        return httpx.Response(404) if body is None else httpx.Response(200, content=body)

    client = httpx.Client(transport=httpx.MockTransport(handler))
    return GoProxy(client, BASE, Downloader(client, tmp_path / "dl"), tmp_path / "dl")


def test_a_verified_record_and_zip_are_accepted(tmp_path: Path) -> None:
    proxy = serve(tmp_path)
    h1 = proxy.lookup(MODULE, VERSION)
    assert h1 == "h1:WQIt9uxdsAbgIYgid+BpYc+liqQZGMHRaUwp0JUcvdE="
    path = proxy.zip(MODULE, VERSION, h1, "chi")
    assert path.read_bytes() == (FIXTURES / "chi-v5.2.3.zip").read_bytes()
    assert proxy.releases("amd64") == ["1.24.3", "1.24.4"]


def test_a_zip_that_is_not_the_recorded_one_is_refused_and_not_kept(tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "other.zip", "w") as zf:
        zf.writestr(f"{MODULE}@{VERSION}/chi.go", "package chi // changed\n")
    proxy = serve(tmp_path, {f"/{MODULE}/@v/{VERSION}.zip": (tmp_path / "other.zip").read_bytes()})
    with pytest.raises(IntegrityError, match="does not match the checksum database"):
        proxy.zip(MODULE, VERSION, proxy.lookup(MODULE, VERSION), "chi")
    assert not list((tmp_path / "dl" / "blobs").rglob("*.zip")) and not list((tmp_path / "dl").rglob("sha512/*"))


def test_a_forged_record_under_a_genuine_tree_head_is_refused(tmp_path: Path) -> None:
    lookup = (FIXTURES / "chi-v5.2.3.lookup").read_text().replace("h1:WQIt", "h1:XQIt")
    proxy = serve(tmp_path, {f"/sumdb/sum.golang.org/lookup/{MODULE}@{VERSION}": lookup.encode()})
    with pytest.raises(IntegrityError, match="is not in the signed tree"):
        proxy.lookup(MODULE, VERSION)


def test_an_unsigned_tree_head_is_refused(tmp_path: Path) -> None:
    lookup = (FIXTURES / "chi-v5.2.3.lookup").read_text().replace("66398721", "66398720")
    proxy = serve(tmp_path, {f"/sumdb/sum.golang.org/lookup/{MODULE}@{VERSION}": lookup.encode()})
    with pytest.raises(IntegrityError, match="does not verify"):
        proxy.lookup(MODULE, VERSION)


def test_a_missing_tile_is_a_build_error(tmp_path: Path) -> None:
    proxy = serve(tmp_path, {"/sumdb/sum.golang.org/tile/8/0/x166/578": None})
    with pytest.raises(BuildError, match="answered 404 for a checksum database tile"):
        proxy.lookup(MODULE, VERSION)


def test_unpack_goroot_makes_tools_executable_and_refuses_escapes(tmp_path: Path) -> None:
    prefix = "golang.org/toolchain@v0.0.1-go1.24.4.linux-amd64/"
    with zipfile.ZipFile(tmp_path / "go.zip", "w") as zf:
        for name in ("bin/go", "pkg/tool/linux_amd64/compile", "src/fmt/print.go"):
            zf.writestr(prefix + name, "x")
    unpack_goroot(tmp_path / "go.zip", prefix, tmp_path / "root")
    assert (tmp_path / "root/bin/go").stat().st_mode & 0o777 == 0o755
    assert (tmp_path / "root/pkg/tool/linux_amd64/compile").stat().st_mode & 0o777 == 0o755
    assert (tmp_path / "root/src/fmt/print.go").stat().st_mode & 0o777 == 0o644
    with zipfile.ZipFile(tmp_path / "evil.zip", "w") as zf:
        zf.writestr(prefix + "../../escape", "x")
    with pytest.raises(BuildError, match="unsafe path"):
        unpack_goroot(tmp_path / "evil.zip", prefix, tmp_path / "root2")
    assert not (tmp_path / "escape").exists()
