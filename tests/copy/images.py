"""Small real OCI layouts for copy tests: a three-platform index, and an image with a non-distributable layer.

Built by hand (tar + gzip + JSON, fixed mtimes, so the bytes and digests are
the same on every run) because umoci makes single-platform images only. The
linux/amd64 entry is the umoci busybox image, so Docker can run what the
index resolves to on this machine.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import shutil
import tarfile
from pathlib import Path
from typing import Any

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
OCI_NONDIST_GZIP = "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"
REF_NAME = "org.opencontainers.image.ref.name"


def _put(layout: Path, data: bytes) -> dict[str, Any]:
    digest = hashlib.sha256(data).hexdigest()
    path = layout / "blobs" / "sha256" / digest
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return {"digest": f"sha256:{digest}", "size": len(data)}


def _json(obj: Any) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


def layer_bytes(files: dict[str, bytes]) -> tuple[bytes, str]:
    """A gzip'd tar of `files` and its diffID."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, content in sorted(files.items()):
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(content), 315532801, 0o644
            tar.addfile(info, io.BytesIO(content))
    tar_bytes = raw.getvalue()
    return gzip.compress(tar_bytes, mtime=0), "sha256:" + hashlib.sha256(tar_bytes).hexdigest()


def _image(layout: Path, arch: str, variant: str | None, layers: list[tuple[dict[str, Any], str]]) -> dict[str, Any]:
    """Write config + manifest for `layers` ((descriptor, diffID) pairs); the manifest's descriptor."""
    config: dict[str, Any] = {"architecture": arch, "os": "linux", "config": {"Cmd": ["/hello"]},
                              "rootfs": {"type": "layers", "diff_ids": [d for _, d in layers]}}
    if variant:
        config["variant"] = variant
    manifest = {"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                "config": {"mediaType": OCI_CONFIG, **_put(layout, _json(config))},
                "layers": [desc for desc, _ in layers]}
    return {"mediaType": OCI_MANIFEST, **_put(layout, _json(manifest))}


def _tag(layout: Path, tag: str, desc: dict[str, Any]) -> None:
    index_path = layout / "index.json"
    index: dict[str, Any] = json.loads(index_path.read_text()) if index_path.exists() else \
        {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": []}
    index["manifests"] = [m for m in index["manifests"] if m.get("annotations", {}).get(REF_NAME) != tag]
    index["manifests"].append({**desc, "annotations": {REF_NAME: tag}})
    index_path.write_text(json.dumps(index))
    (layout / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')


def make_index_layout(dest: Path, busybox: Path, tag: str = "multi") -> tuple[Path, dict[str, str]]:
    """Copy the umoci busybox layout to `dest` and tag there an index of linux/amd64 (busybox),
    linux/arm64 and linux/arm/v7 (one small layer each). Returns (dest, {platform: manifest digest})
    with the index's own digest under "index"."""
    shutil.copytree(busybox, dest)
    amd64 = next(m for m in json.loads((dest / "index.json").read_text())["manifests"]
                 if m.get("annotations", {}).get(REF_NAME) == "latest")
    entries = [{"mediaType": OCI_MANIFEST, "digest": amd64["digest"], "size": amd64["size"],
                "platform": {"architecture": "amd64", "os": "linux"}}]
    for arch, variant in (("arm64", None), ("arm", "v7")):
        blob, diff_id = layer_bytes({"hello": f"hello from {arch}{variant or ''}\n".encode(),
                                     "padding": bytes(range(256)) * 200})
        desc = _image(dest, arch, variant, [({"mediaType": OCI_LAYER_GZIP, **_put(dest, blob)}, diff_id)])
        platform = {"architecture": arch, "os": "linux", **({"variant": variant} if variant else {})}
        entries.append({**desc, "platform": platform})
    index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries,
             "annotations": {"org.opencontainers.image.description": "three platforms for dockless tests"}}
    index_desc = {"mediaType": OCI_INDEX, **_put(dest, _json(index))}
    _tag(dest, tag, index_desc)
    digests = {"/".join(p for p in (e["platform"]["os"], e["platform"]["architecture"],
                                    e["platform"].get("variant")) if p): e["digest"] for e in entries}
    return dest, {**digests, "index": index_desc["digest"]}


def make_nondistributable_layout(dest: Path, *, with_blob: bool = False,
                                 urls: tuple[str, ...] = ("https://example.invalid/layer.tar.gz",),
                                 media_type: str = OCI_NONDIST_GZIP) -> tuple[Path, str]:
    """A layout tagged `nd`: a normal layer plus a non-distributable one whose blob is absent
    (unless `with_blob`); returns (dest, the non-distributable layer's digest)."""
    dest.mkdir(parents=True)
    base, base_diff = layer_bytes({"hello": b"hello\n"})
    foreign, foreign_diff = layer_bytes({"licensed": b"not for redistribution\n"})
    base_desc = {"mediaType": OCI_LAYER_GZIP, **_put(dest, base)}
    digest = "sha256:" + hashlib.sha256(foreign).hexdigest()
    foreign_desc = {"mediaType": media_type, "digest": digest, "size": len(foreign), "urls": list(urls)}
    if with_blob:
        _put(dest, foreign)
    desc = _image(dest, "amd64", None, [(base_desc, base_diff), (foreign_desc, foreign_diff)])
    _tag(dest, "nd", desc)
    return dest, digest


def make_layout(dest: Path, files: dict[str, bytes], tag: str = "v1") -> tuple[Path, str]:
    """A layout holding one linux/amd64 image with one layer of `files`; returns (dest, manifest digest)."""
    dest.mkdir(parents=True)
    blob, diff_id = layer_bytes(files)
    desc = _image(dest, "amd64", None, [({"mediaType": OCI_LAYER_GZIP, **_put(dest, blob)}, diff_id)])
    _tag(dest, tag, desc)
    return dest, str(desc["digest"])
