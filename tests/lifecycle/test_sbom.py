"""The SBOM is deterministic CycloneDX and names the run image's Debian packages."""

from __future__ import annotations

import json

from builder.lifecycle.contract import Component
from builder.lifecycle.sbom import cyclonedx, debian_components

LABELS = {
    "io.dockless.stack.packages": "zlib1g=1:1.3.dfsg+really1.3.1-1,libc6=2.41-12",
    "io.dockless.stack.arch": "amd64",
    "io.dockless.stack.release": "13.8",
}


def test_debian_packages_become_purls() -> None:
    debs = debian_components(LABELS)
    assert [c.purl for c in debs] == [
        "pkg:deb/debian/libc6@2.41-12?arch=amd64&distro=debian-13.8",
        "pkg:deb/debian/zlib1g@1%3A1.3.dfsg%2Breally1.3.1-1?arch=amd64&distro=debian-13.8",
    ]
    assert debian_components({}) == []  # a run image not made by dockless: nothing claimed


def test_document_is_deterministic_and_valid_cyclonedx() -> None:
    comps = [*debian_components(LABELS), Component("express", "4.21.2", "pkg:npm/express@4.21.2", "node_modules")]
    one = cyclonedx(comps)
    assert one == cyclonedx(list(reversed(comps)) + comps[:1])  # order and duplicates do not matter
    doc = json.loads(one)
    assert doc["bomFormat"] == "CycloneDX" and doc["specVersion"] == "1.5"
    assert doc["serialNumber"].startswith("urn:uuid:")
    assert "timestamp" not in json.dumps(doc)  # nothing time-dependent: code-only changes keep this layer
    express = next(c for c in doc["components"] if c["name"] == "express")
    assert express["purl"] == express["bom-ref"] == "pkg:npm/express@4.21.2"
    assert express["properties"] == [{"name": "dockless:layer", "value": "node_modules"}]
    assert cyclonedx(comps[:1]) != one
