"""OCI image layout (`oci:DIR[:TAG]`): read and write.

The layout is `oci-layout`, `index.json` and `blobs/sha256/<hex>`. Blobs are
written first (each by an atomic rename of a verified temp file); index.json
is replaced last, so a tag never points at a manifest with missing blobs.
Disk errors are translated here (builder.diskerrors): writing, exit 8 with
the path and the OS's reason; reading, a missing layout is "not found" (12)
and an unreadable or incomplete one is bad input (2).
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from builder.context import Context
from builder.diskerrors import reading, writing
from builder.errors import NotFoundError, UsageError
from builder.image.blobs import BlobStore
from builder.image.digest import Digest
from builder.image.image import Image
from builder.image.layer import Layer
from builder.image.media import INDEXES, OCI_INDEX, Descriptor, Platform, choose_platform
from builder.reference import LayoutRef

REF_NAME = "org.opencontainers.image.ref.name"
DEFAULT_TAG = "latest"


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _blob_path(root: Path, digest: Digest) -> Path:
    return root / "blobs" / digest.algorithm / digest.hex


def _read_index(root: Path) -> dict[str, Any]:
    try:
        index: dict[str, Any] = json.loads((root / "index.json").read_text())
        return index
    except (FileNotFoundError, NotADirectoryError):
        raise NotFoundError(f"'{root}' is not an OCI image layout (no index.json)",
                            "point oci: at a directory written by dockless, skopeo or umoci") from None
    except json.JSONDecodeError as e:
        raise UsageError(f"'{root}/index.json' is not valid JSON: {e}") from None


def _read_blob(root: Path, digest: Digest) -> bytes:
    try:
        return _blob_path(root, digest).read_bytes()
    except FileNotFoundError:
        raise UsageError(f"the OCI layout '{root}' lacks blob {digest}",
                         "the layout is incomplete: copy the image into it again") from None


def _select(root: Path, index: dict[str, Any], tag: str | None, platform: Platform) -> Descriptor:
    manifests = [Descriptor.from_json(m) for m in index.get("manifests", [])]
    if tag:
        chosen = [d for d in manifests if d.annotations.get(REF_NAME) == tag]
    elif len(manifests) == 1:
        chosen = manifests
    else:
        chosen = [d for d in manifests if d.annotations.get(REF_NAME) == DEFAULT_TAG]
    if not chosen:
        tags = sorted(d.annotations.get(REF_NAME, "?") for d in manifests)
        raise NotFoundError(f"no image tagged '{tag or DEFAULT_TAG}' in '{root}'",
                            f"tags there: {', '.join(tags) or 'none'}")
    desc = chosen[0]
    if desc.media_type in INDEXES:
        nested = json.loads(_read_blob(root, desc.digest))
        return choose_platform(nested, platform, str(root))
    return desc


def _file_opener(path: Path):  # type: ignore[no-untyped-def]
    return lambda: open(path, "rb")


def read_layout(ref: LayoutRef, ctx: Context) -> Image:
    root = Path(ref.path)
    with reading("the OCI layout", root):
        try:
            return _read(root, ref, ctx)
        except (KeyError, TypeError, ValueError) as e:  # JSON that is not a manifest or config
            raise UsageError(f"the OCI layout '{root}' holds a malformed manifest or config: "
                             f"{type(e).__name__}: {e}", "was it written by an OCI tool?") from None


def _read(root: Path, ref: LayoutRef, ctx: Context) -> Image:
    desc = _select(root, _read_index(root), ref.tag, ctx.platform)
    manifest_bytes = _read_blob(root, desc.digest)
    if Digest.of(manifest_bytes) != desc.digest:
        raise UsageError(f"manifest {desc.digest.short} in '{root}' does not match its digest")
    manifest = json.loads(manifest_bytes)
    config_desc = Descriptor.from_json(manifest["config"])
    config_bytes = _read_blob(root, config_desc.digest)
    diff_ids = json.loads(config_bytes).get("rootfs", {}).get("diff_ids", [])
    layers = tuple(
        Layer(d, Digest.parse(diff), _file_opener(_blob_path(root, d.digest)))
        for d, diff in zip((Descriptor.from_json(x) for x in manifest.get("layers", [])), diff_ids)
    )
    for layer in layers:  # the openers are lazy: a missing blob is found now, not mid-copy
        if not _blob_path(root, layer.digest).is_file():
            raise UsageError(f"the OCI layout '{root}' lacks layer blob {layer.digest}",
                             "the layout is incomplete: copy the image into it again")
    return Image(manifest_bytes, config_bytes, layers)


def write_layout(image: Image, ref: LayoutRef, ctx: Context) -> None:
    root = Path(ref.path)
    with writing("the OCI layout", root):
        _write(image, root, ref, ctx)


def _write(image: Image, root: Path, ref: LayoutRef, ctx: Context) -> None:
    root.mkdir(parents=True, exist_ok=True)
    blobs = BlobStore(root, with_index=False)  # a layout's blob dir has the store's shape
    total = len(image.layers)
    for i, layer in enumerate(image.layers, 1):
        if not blobs.has(layer.digest):
            with layer.open() as stream:
                blobs.put_stream(stream, layer.digest, layer.size)
        ctx.progress(f"layer {layer.digest.short}", i, total)
    for data in (image.config_bytes, image.manifest_bytes):
        blobs.put_bytes(data)
    layout = root / "oci-layout"
    if not layout.exists():
        _atomic_write(layout, b'{"imageLayoutVersion":"1.0.0"}')
    index = _read_index(root) if (root / "index.json").exists() else {}
    tag = ref.tag or DEFAULT_TAG
    entries = [m for m in index.get("manifests", []) if (m.get("annotations") or {}).get(REF_NAME) != tag]
    desc = image.descriptor().to_json()
    desc["annotations"] = {REF_NAME: tag}
    if image.config.get("os") and image.config.get("architecture"):
        desc["platform"] = image.platform.to_json()
    entries.append(desc)
    new_index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries}
    _atomic_write(root / "index.json", json.dumps(new_index, indent=2).encode())
