"""What a pushed image holds, read back from the registry: its layers (uncompressed) and its SBOM."""

from __future__ import annotations

import gzip
import io
import json
import tarfile
from typing import Any

from tests.infra.registry import Registry


def layers(registry: Registry, repo: str, digest: str) -> list[tuple[str, bytes]]:
    """(digest, uncompressed tar) of every layer of a pushed image, and its config last, from the registry."""
    manifest = json.loads(registry.manifest(repo, digest)[0])
    found = [(layer["digest"], gzip.decompress(registry.blob(repo, layer["digest"]))) for layer in manifest["layers"]]
    return found + [(manifest["config"]["digest"], registry.blob(repo, manifest["config"]["digest"]))]


def sbom(blobs: list[tuple[str, bytes]]) -> dict[str, Any]:
    """The CycloneDX SBOM dockless writes at layers/sbom/launch/sbom.cdx.json, from `layers(...)`."""
    for _, data in blobs[:-1]:
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            for member in tar.getmembers():
                if member.name.endswith("layers/sbom/launch/sbom.cdx.json"):
                    file = tar.extractfile(member)
                    assert file is not None
                    doc: dict[str, Any] = json.load(file)
                    return doc
    raise AssertionError("no SBOM in the image")


def differences(ours: list[tuple[str, bytes]], theirs: list[tuple[str, bytes]], limit: int = 20) -> list[str]:
    """Why two images from `layers(...)` differ: the tar entries (name, mode, owner, size, bytes) and config keys.

    For an assertion message when a digest that should be reproducible is not.
    """
    if len(ours) != len(theirs):
        return [f"{len(ours) - 1} layers vs {len(theirs) - 1}"]
    found: list[str] = []
    for index, ((a_digest, a), (b_digest, b)) in enumerate(zip(ours[:-1], theirs[:-1])):
        if a_digest != b_digest:
            a_entries, b_entries = _entries(a), _entries(b)
            for name in sorted(a_entries.keys() | b_entries.keys()):
                a_entry, b_entry = a_entries.get(name), b_entries.get(name)
                if a_entry != b_entry:
                    found.append(f"layer {index}: {name}: {_shown(a_entry, b_entry)}")
    a_config, b_config = json.loads(ours[-1][1]), json.loads(theirs[-1][1])
    for key in sorted(a_config.keys() | b_config.keys()):
        if a_config.get(key) != b_config.get(key):
            found.append(f"config {key}: {a_config.get(key)!r:.300} vs {b_config.get(key)!r:.300}")
    return found[:limit]


def _entries(data: bytes) -> dict[str, tuple[int, int, int, int, str, bytes]]:
    entries: dict[str, tuple[int, int, int, int, str, bytes]] = {}
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        for member in tar.getmembers():
            file = tar.extractfile(member) if member.isfile() else None
            body = file.read() if file is not None else b""
            entries[member.name] = (member.mode, member.uid, member.gid, member.mtime, member.linkname, body)
    return entries


def _shown(a: tuple[int, int, int, int, str, bytes] | None, b: tuple[int, int, int, int, str, bytes] | None) -> str:
    """The header fields, or the bytes around the first difference of the two bodies."""
    if a is None or b is None or a[:5] != b[:5]:
        return f"{a and a[:5]} vs {b and b[:5]}"
    at = next((i for i, (x, y) in enumerate(zip(a[5], b[5])) if x != y), min(len(a[5]), len(b[5])))
    return f"{len(a[5])} vs {len(b[5])} bytes, from byte {at}: {a[5][at - 40:at + 80]!r} vs {b[5][at - 40:at + 80]!r}"
