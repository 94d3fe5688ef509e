"""What the Node.js layers contain, as SBOM components: the runtime and every installed package.

Packages are found the way Node resolves them: each `package.json` directly in a
`node_modules/<name>` or `node_modules/@scope/<name>` directory, at any depth
(nested installs, pnpm's `.pnpm/<id>/node_modules/<name>`). Symlinks are not
followed, so pnpm's links are not counted twice.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import quote

from builder.lifecycle.contract import Component


def runtime_component(version: str, layer: str = "node") -> Component:
    return Component("node", version, f"pkg:generic/node@{version}", layer, "application")


def _purl(name: str, version: str) -> str:
    if name.startswith("@") and "/" in name:
        scope, _, bare = name.partition("/")
        return f"pkg:npm/{quote(scope, safe='')}/{quote(bare, safe='')}@{quote(version, safe='')}"
    return f"pkg:npm/{quote(name, safe='')}@{quote(version, safe='')}"


def _is_package_dir(path: Path, root: Path) -> bool:
    """`<node_modules>/<name>` or `<node_modules>/@scope/<name>`; `root` is itself a node_modules directory."""

    def is_modules(d: Path) -> bool:
        return d == root or d.name == "node_modules"

    parent = path.parent
    if is_modules(parent):
        return not path.name.startswith((".", "@"))
    return parent.name.startswith("@") and is_modules(parent.parent)


def npm_components(modules: Path, layer: str = "node_modules") -> list[Component]:
    """Every distinct (name, version) under a node_modules directory, sorted."""
    found: set[Component] = set()
    for dirpath, dirnames, filenames in os.walk(modules):  # os.walk does not follow symlinks
        here = Path(dirpath)
        if "package.json" in filenames and _is_package_dir(here, modules):
            try:
                manifest = json.loads((here / "package.json").read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            name, version = manifest.get("name"), manifest.get("version")
            if isinstance(name, str) and isinstance(version, str) and name and version:
                found.add(Component(name, version, _purl(name, version), layer))
        dirnames.sort()
    return sorted(found)
