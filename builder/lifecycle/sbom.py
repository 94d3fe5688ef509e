"""The image's software bill of materials, as CycloneDX 1.5 JSON.

Written by EXPORT into its own small layer at SBOM_PATH (where CNB platforms
keep launch SBOMs) and named by the `io.dockless.sbom` label, so scanners and
`docker run … cat` find it. It lists the run image's Debian packages (from the
stack's labels) and what the buildpack reports (runtime, dependencies). It
holds nothing that changes with app code, commit or time: a code-only change
leaves this layer byte for byte the same.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from builder.lifecycle.contract import Component
from builder.stack.labels import ARCH, RELEASE, installed_packages

SBOM_PATH = "layers/sbom/launch/sbom.cdx.json"
SBOM_LABEL = "io.dockless.sbom"


def debian_components(labels: Mapping[str, str], packages: Mapping[str, str] | None = None,
                      layer: str = "run-image") -> list[Component]:
    """Debian packages as components: the run image's own (from its stack labels, when it is a dockless
    stack; other run images list none), or `packages` ({name: version}) in `layer` on top of it."""
    arch, release = labels.get(ARCH, ""), labels.get(RELEASE, "")
    qualifiers = "&".join(q for q in (f"arch={arch}" if arch else "", f"distro=debian-{release}" if release else "") if q)
    found = installed_packages(labels) if packages is None else packages
    return sorted(
        Component(name, version, f"pkg:deb/debian/{quote(name, safe='')}@{quote(version, safe='')}"
                  + (f"?{qualifiers}" if qualifiers else ""), layer)
        for name, version in found.items()
    )


def cyclonedx(components: Sequence[Component]) -> bytes:
    """A deterministic CycloneDX document: sorted, no timestamps, serial number derived from the content."""
    unique = sorted(set(components))
    items: list[dict[str, Any]] = [
        {
            "bom-ref": c.purl,
            "type": c.type,
            "name": c.name,
            "version": c.version,
            "purl": c.purl,
            **({"properties": [{"name": "dockless:layer", "value": c.layer}]} if c.layer else {}),
        }
        for c in unique
    ]
    body = json.dumps(items, sort_keys=True, separators=(",", ":"))
    doc = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "serialNumber": f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'dockless:' + body)}",
        "version": 1,
        "metadata": {"tools": {"components": [{"type": "application", "name": "dockless"}]}},
        "components": items,
    }
    return json.dumps(doc, sort_keys=True, indent=1).encode() + b"\n"
