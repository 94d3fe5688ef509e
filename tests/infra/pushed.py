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
