"""What the venv layer contains, as SBOM components: every installed distribution.

A distribution counts when pip installed it: its `*.dist-info/METADATA` is in
the venv's site-packages. Name and version come from METADATA's `Name:` and
`Version:` headers (the core metadata spec), not from the directory name,
which is normalised.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from builder.lifecycle.contract import Component


def pypi_purl(name: str, version: str) -> str:
    """pkg:pypi/NAME@VERSION, the name lower-cased with `_` as `-` (the purl spec's pypi type)."""
    return f"pkg:pypi/{quote(name.lower().replace('_', '-'), safe='')}@{quote(version, safe='')}"


def _headers(metadata: Path) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in metadata.read_text(encoding="utf-8", errors="replace").splitlines():
        if not line.strip():
            break  # the body (long description) starts after the first blank line
        key, _, value = line.partition(":")
        found.setdefault(key.strip(), value.strip())
    return found


def python_components(venv: Path, layer: str = "venv") -> list[Component]:
    """A component per installed distribution in `venv` (host path; or a `pip install --target` directory), sorted."""
    found = set()
    for metadata in [*venv.glob("lib/python3*/site-packages/*.dist-info/METADATA"), *venv.glob("*.dist-info/METADATA")]:
        headers = _headers(metadata)
        if headers.get("Name") and headers.get("Version"):
            found.add(Component(headers["Name"], headers["Version"], pypi_purl(headers["Name"], headers["Version"]),
                                layer))
    return sorted(found)
