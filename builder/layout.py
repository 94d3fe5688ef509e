"""OCI image layout (`oci:DIR[:TAG]`): read and write.

The layout is `oci-layout`, `index.json` and `blobs/sha256/<hex>`. Blobs are
written first (each by an atomic rename of a verified temp file); index.json
is replaced last, so a tag never points at a manifest with missing blobs.
An index is read and written whole (`read_layout_tree`/`write_layout_tree`:
every manifest and blob below it, its digest kept); `oci:DIR:TAG@sha256:…`
reads by digest and, as a destination, must be the written image's digest.
Disk errors are translated here (builder.diskerrors): writing, exit 8 with
the path and the OS's reason; reading, a missing layout or a missing blob is
"not found" (12), an unreadable or malformed one is bad input (2). A
non-distributable layer's blob may be absent (its `urls` say where it lives).
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, BinaryIO

from builder.context import Context
from builder.diskerrors import reading, writing
from builder.errors import NotFoundError, UsageError
from builder.image.blobs import BlobStore
from builder.image.digest import Digest
from builder.image.image import Image
from builder.image.layer import Layer
from builder.image.index import MAX_DEPTH, BlobSource, Node, blob_descriptors, entries, kind_of, parse_manifest
from builder.image.media import INDEXES, OCI_INDEX, Descriptor, Platform, choose_platform, is_nondistributable
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
    """index.json as a dict: NotFoundError (12) when absent; UsageError (2) naming the file when damaged."""
    path = root / "index.json"
    try:
        index = json.loads(path.read_text())
    except (FileNotFoundError, NotADirectoryError):
        raise NotFoundError(f"'{root}' is not an OCI image layout (no index.json)",
                            "point oci: at a directory written by dockless, skopeo or umoci") from None
    except ValueError as e:  # not JSON, or not UTF-8 at all
        raise _damaged(root, path, str(e)) from None
    if not isinstance(index, dict):
        raise _damaged(root, path, f"a JSON {type(index).__name__}, not an object")
    return index


def _damaged(root: Path, path: Path, why: str) -> UsageError:
    return UsageError(f"the OCI layout '{root}' is damaged: {path} is not a valid index ({why[:120]})",
                      f"it can neither be read nor added to: remove {root} and write it again "
                      f"(dockless build/copy … oci:{root}[:TAG])")


def _read_blob(root: Path, digest: Digest) -> bytes:
    try:
        return _blob_path(root, digest).read_bytes()
    except FileNotFoundError:
        raise NotFoundError(f"the OCI layout '{root}' lacks blob {digest}",
                            "the layout is incomplete: copy the image into it again") from None


def _missing_layer(root: Path, desc: Descriptor) -> NotFoundError:
    """The one-line error for a layer whose blob is not in the layout (exit 12)."""
    if is_nondistributable(desc.media_type):
        where = f" (it is non-distributable; its URLs: {', '.join(desc.urls)})" if desc.urls else \
            " (it is non-distributable and lists no URLs)"
        return NotFoundError(f"the OCI layout '{root}' lacks layer blob {desc.digest}{where}",
                             "fetch the blob into blobs/sha256/ first; dockless does not download layer URLs")
    return NotFoundError(f"the OCI layout '{root}' lacks layer blob {desc.digest}",
                         "the layout is incomplete: copy the image into it again")


def _layer_opener(root: Path, desc: Descriptor) -> Callable[[], BinaryIO]:
    """Opens a layer blob lazily; a blob gone missing by then is NotFoundError, not an OSError."""
    path = _blob_path(root, desc.digest)

    def open_layer() -> BinaryIO:
        try:
            return open(path, "rb")
        except FileNotFoundError:
            raise _missing_layer(root, desc) from None

    return open_layer


def _entry(root: Path, index: dict[str, Any], tag: str | None, digest: Digest | None = None) -> Descriptor:
    """The index.json entry `tag` names (or the only one, or `latest`); with `digest`, the entry
    with that digest (and that tag, when both are given)."""
    manifests = [Descriptor.from_json(m) for m in index.get("manifests", [])]
    if digest is not None:
        pinned = [d for d in manifests if d.digest == digest and (not tag or d.annotations.get(REF_NAME) == tag)]
        if not pinned:
            raise NotFoundError(f"no image {digest}{' tagged ' + repr(tag) if tag else ''} in '{root}'",
                                "see the digests there with 'dockless inspect oci:DIR:TAG'")
        return pinned[0]
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
    return chosen[0]


def _select(root: Path, index: dict[str, Any], tag: str | None, platform: Platform,
            digest: Digest | None = None) -> Descriptor:
    desc = _entry(root, index, tag, digest)
    if desc.media_type in INDEXES:
        nested = json.loads(_read_blob(root, desc.digest))
        return choose_platform(nested, platform, str(root))
    return desc


def read_layout(ref: LayoutRef, ctx: Context) -> Image:
    root = Path(ref.path)
    with reading("the OCI layout", root):
        try:
            return _read(root, ref, ctx)
        except (KeyError, TypeError, ValueError) as e:  # JSON that is not a manifest or config
            raise UsageError(f"the OCI layout '{root}' holds a malformed manifest or config: "
                             f"{type(e).__name__}: {e}", "was it written by an OCI tool?") from None


def _read(root: Path, ref: LayoutRef, ctx: Context) -> Image:
    desc = _select(root, _read_index(root), ref.tag, ctx.platform, ref.digest)
    manifest_bytes = _read_blob(root, desc.digest)
    if Digest.of(manifest_bytes) != desc.digest:
        raise UsageError(f"manifest {desc.digest.short} in '{root}' does not match its digest")
    manifest = json.loads(manifest_bytes)
    config_desc = Descriptor.from_json(manifest["config"])
    config_bytes = _read_blob(root, config_desc.digest)
    diff_ids = json.loads(config_bytes).get("rootfs", {}).get("diff_ids", [])
    layers = tuple(
        Layer(d, Digest.parse(diff), _layer_opener(root, d))
        for d, diff in zip((Descriptor.from_json(x) for x in manifest.get("layers", [])), diff_ids)
    )
    for layer in layers:  # the openers are lazy: a missing blob is found now, not mid-copy
        if not is_nondistributable(layer.media_type) and not _blob_path(root, layer.digest).is_file():
            raise _missing_layer(root, layer.descriptor)
    return Image(manifest_bytes, config_bytes, layers)


def read_layout_tree(ref: LayoutRef, ctx: Context) -> Node:
    """The entry `ref` names with everything below it (for an index: every manifest), blobs lazy."""
    root = Path(ref.path)
    with reading("the OCI layout", root):
        try:
            desc = _entry(root, _read_index(root), ref.tag, ref.digest)
            return _tree_node(root, desc, 0)
        except (KeyError, TypeError, ValueError) as e:
            raise UsageError(f"the OCI layout '{root}' holds a malformed manifest: "
                             f"{type(e).__name__}: {e}", "was it written by an OCI tool?") from None


def _tree_node(root: Path, desc: Descriptor, depth: int) -> Node:
    data = _read_blob(root, desc.digest)
    if Digest.of(data) != desc.digest:
        raise UsageError(f"manifest {desc.digest.short} in '{root}' does not match its digest")
    doc = parse_manifest(data, f"oci:{root}@{desc.digest}")
    desc = replace(desc, media_type=kind_of(doc, desc.media_type))
    if desc.media_type not in INDEXES:
        blobs = []
        for d in blob_descriptors(doc):
            if not is_nondistributable(d.media_type) and not _blob_path(root, d.digest).is_file():
                raise _missing_layer(root, d)
            blobs.append(BlobSource(d, _layer_opener(root, d)))
        return Node(desc, data, blobs=tuple(blobs))
    if depth >= MAX_DEPTH:
        raise UsageError(f"the OCI layout '{root}' nests indexes more than {MAX_DEPTH} deep")
    return Node(desc, data, children=tuple(_tree_node(root, e, depth + 1) for e in entries(doc)))


def write_layout_tree(tree: Node, ref: LayoutRef, ctx: Context) -> None:
    """Write an index (or any manifest tree) into the layout under `ref`'s tag, keeping its digest.

    A non-distributable layer's blob is copied when the source has it and
    left out when it does not (its URLs stay in the manifest), as skopeo does.
    """
    ref.require_digest(tree.digest)
    root = Path(ref.path)
    with writing("the OCI layout", root):
        root.mkdir(parents=True, exist_ok=True)
        blobs = BlobStore(root, with_index=False)
        todo = tree.all_blobs()
        for i, blob in enumerate(todo, 1):
            d = blob.descriptor
            if not blobs.has(d.digest):
                try:
                    with blob.opener() as stream:
                        blobs.put_stream(stream, d.digest, d.size)
                except NotFoundError:
                    if not blob.nondistributable:
                        raise
            ctx.progress(f"blob {d.digest.short}", i, len(todo))
        for node in tree.walk():
            blobs.put_bytes(node.data)
        entry = Descriptor(tree.media_type, tree.digest, len(tree.data))
        _tag(root, entry.to_json(), ref.tag or DEFAULT_TAG)


def _tag(root: Path, desc: dict[str, Any], tag: str) -> None:
    """Point `tag` at `desc` in index.json (replacing the old entry), written last and atomically."""
    layout = root / "oci-layout"
    if not layout.exists():
        _atomic_write(layout, b'{"imageLayoutVersion":"1.0.0"}')
    index = _read_index(root) if (root / "index.json").exists() else {}
    entries_ = [m for m in index.get("manifests", []) if (m.get("annotations") or {}).get(REF_NAME) != tag]
    desc["annotations"] = {REF_NAME: tag}
    entries_.append(desc)
    new_index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries_}
    _atomic_write(root / "index.json", json.dumps(new_index, indent=2).encode())


def write_layout(image: Image, ref: LayoutRef, ctx: Context) -> None:
    """Write `image` into the layout under `ref`'s tag (`latest` when none); a pinned digest must match."""
    ref.require_digest(image.digest)
    root = Path(ref.path)
    with writing("the OCI layout", root):
        _write(image, root, ref, ctx)


def _write(image: Image, root: Path, ref: LayoutRef, ctx: Context) -> None:
    root.mkdir(parents=True, exist_ok=True)
    blobs = BlobStore(root, with_index=False)  # a layout's blob dir has the store's shape
    total = len(image.layers)
    for i, layer in enumerate(image.layers, 1):
        if not blobs.has(layer.digest):
            try:
                with layer.open() as stream:
                    blobs.put_stream(stream, layer.digest, layer.size)
            except NotFoundError:
                if not is_nondistributable(layer.media_type):
                    raise  # a non-distributable blob the source lacks stays out: its URLs are in the manifest
        ctx.progress(f"layer {layer.digest.short}", i, total)
    for data in (image.config_bytes, image.manifest_bytes):
        blobs.put_bytes(data)
    desc = image.descriptor().to_json()
    if image.config.get("os") and image.config.get("architecture"):
        desc["platform"] = image.platform.to_json()
    _tag(root, desc, ref.tag or DEFAULT_TAG)
