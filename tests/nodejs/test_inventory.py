"""SBOM components from a node_modules tree: nested, scoped and pnpm layouts, symlinks not followed."""

from __future__ import annotations

import json
from pathlib import Path

from buildpacks.nodejs.inventory import npm_components, runtime_component


def pkg(d: Path, name: str, version: str) -> None:
    d.mkdir(parents=True, exist_ok=True)
    (d / "package.json").write_text(json.dumps({"name": name, "version": version}))


def test_packages_at_any_depth_once_each(tmp_path: Path) -> None:
    nm = tmp_path / "cache-entry-abc"  # the cached directory is node_modules itself, whatever its name
    pkg(nm / "express", "express", "4.21.2")
    pkg(nm / "express" / "node_modules" / "debug", "debug", "2.6.9")   # nested, another version
    pkg(nm / "debug", "debug", "4.3.4")
    pkg(nm / "@types" / "node", "@types/node", "20.1.0")               # scoped
    pkg(nm / ".pnpm" / "ms@2.1.3" / "node_modules" / "ms", "ms", "2.1.3")  # pnpm's store
    (nm / "ms").symlink_to(nm / ".pnpm" / "ms@2.1.3" / "node_modules" / "ms")  # pnpm's link: not followed
    pkg(nm / "express" / "lib" / "fixtures", "not-a-dependency", "0.0.1")  # a package.json that is not a package dir
    (nm / ".bin").mkdir()
    (nm / "broken").mkdir()
    (nm / "broken" / "package.json").write_text("{not json")
    got = [(c.name, c.version, c.purl) for c in npm_components(nm)]
    assert got == [
        ("@types/node", "20.1.0", "pkg:npm/%40types/node@20.1.0"),
        ("debug", "2.6.9", "pkg:npm/debug@2.6.9"),
        ("debug", "4.3.4", "pkg:npm/debug@4.3.4"),
        ("express", "4.21.2", "pkg:npm/express@4.21.2"),
        ("ms", "2.1.3", "pkg:npm/ms@2.1.3"),
    ]
    assert all(c.layer == "node_modules" for c in npm_components(nm))


def test_runtime_component() -> None:
    c = runtime_component("24.21.0")
    assert (c.name, c.purl, c.type, c.layer) == ("node", "pkg:generic/node@24.21.0", "application", "node")
