"""docker-archive tarballs (`docker-archive:FILE[:NAME:TAG]`): read and write.

The archive also carries `index.json` and the manifest blob (as Docker 25's
`docker save` does), so reading it back keeps the manifest digest.

Written in the format `docker load` has always read: `manifest.json`
(Config, RepoTags, Layers), the config blob and the layer blobs, all under
`blobs/sha256/` like Docker 25's own `docker save`. Layers stay gzip
compressed (docker load decompresses and checks the diffIDs). The archive is
built in a temp file and renamed into place, so a failed write leaves nothing.
Reading accepts both the legacy and the OCI-style `docker save` output,
plain or compressed with gzip, bzip2, xz or zstd (as `docker load` does);
zstd layers inside are kept as they are.
Disk errors are translated here (builder.diskerrors): writing, exit 8 with
the path and the OS's reason; reading, a missing file is "not found" (12)
and an unreadable or damaged one is bad input (2).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, cast

from builder.context import Context
from builder.diskerrors import reading, writing
from builder.errors import NotFoundError, UsageError
from builder.image import decompress
from builder.image.blobs import BlobStore
from builder.image.compress import Codec, GzipWriter
from builder.image.digest import Digest
from builder.image.image import Image, image_from_config
from builder.image.layer import Layer
from builder.image.media import DOCKER_LAYER_GZIP, DOCKER_MANIFEST, OCI_INDEX, OCI_LAYER_ZSTD, OCI_MANIFEST, Descriptor
from builder.image.tarball import DEFAULT_EPOCH, clean_path
from builder.reference import ArchiveRef, RegistryRef


def _repo_tag(name: RegistryRef | None) -> list[str]:
    if name is None:
        return []
    return [f"{name.familiar}:{name.tag or 'latest'}"]


def _add(tar: tarfile.TarFile, name: str, size: int, stream: IO[bytes]) -> None:
    ti = tarfile.TarInfo(name)
    ti.size, ti.mtime, ti.mode = size, DEFAULT_EPOCH, 0o644
    tar.addfile(ti, stream)


def write_archive_to(image: Image, out: IO[bytes], name: RegistryRef | None, ctx: Context) -> None:
    """Stream the archive for `image` into `out` (shared with the daemon sink).

    A `name` that pins a digest (`app:v1@sha256:…`) must pin this image's: UsageError otherwise.
    """
    if name is not None:
        name.require_digest(image.digest)
    config_path = f"blobs/sha256/{Digest.of(image.config_bytes).hex}"
    manifest = [{
        "Config": config_path,
        "RepoTags": _repo_tag(name),
        "Layers": [f"blobs/sha256/{layer.digest.hex}" for layer in image.layers],
    }]
    with tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT) as tar:
        seen: set[Digest] = set()
        for i, layer in enumerate(image.layers, 1):
            if layer.digest in seen:
                continue
            seen.add(layer.digest)
            with layer.open() as stream:
                _add(tar, f"blobs/sha256/{layer.digest.hex}", layer.size, stream)
            ctx.progress(f"layer {layer.digest.short}", i, len(image.layers))
        _add(tar, config_path, len(image.config_bytes), io.BytesIO(image.config_bytes))
        _add(tar, f"blobs/sha256/{image.digest.hex}", len(image.manifest_bytes), io.BytesIO(image.manifest_bytes))
        desc = image.descriptor().to_json()
        if name is not None:
            desc["annotations"] = {"org.opencontainers.image.ref.name": name.tag or "latest",
                                   "io.containerd.image.name": str(name)}
        for fname, obj in (("manifest.json", manifest), ("oci-layout", {"imageLayoutVersion": "1.0.0"}),
                           ("index.json", {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [desc]})):
            data = json.dumps(obj).encode()
            _add(tar, fname, len(data), io.BytesIO(data))


def write_archive(image: Image, ref: ArchiveRef, ctx: Context) -> None:
    dest = Path(ref.path)
    ref.require_digest(image.digest)  # before anything is written, naming the reference as given
    with writing("the docker-archive", dest):
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                write_archive_to(image, f, ref.name, ctx)
            os.replace(tmp, dest)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)


def _member_bytes(tar: tarfile.TarFile, name: str) -> bytes:
    try:
        f = tar.extractfile(clean_path(name))
    except KeyError:
        f = None
    if f is None:
        raise UsageError(f"the archive has no '{name}'", "is it a docker-archive (docker save) tarball?")
    return f.read()


def _import_layer(tar: tarfile.TarFile, name: str, store: BlobStore) -> Layer:
    """Store one archived layer as a gzip blob; uncompressed layers are compressed once."""
    f = tar.extractfile(clean_path(name))
    if f is None:
        raise UsageError(f"layer '{name}' is missing from the archive")
    kind = decompress.sniff(f.read(6))
    f.seek(0)
    if kind in ("gzip", "zstd"):
        # Kept as written, so the archive's manifest (Docker 25+, containerd's store) still matches.
        digest = store.put_stream(f)
        h = hashlib.sha256()
        with open(store.path(digest), "rb") as blob, decompress.reader(blob, kind) as raw:
            while chunk := raw.read(1 << 20):
                h.update(chunk)
        media_type = DOCKER_LAYER_GZIP if kind == "gzip" else OCI_LAYER_ZSTD
        diff_id = Digest("sha256", h.hexdigest())
    else:
        codec = Codec()
        with store.temp() as (out, tmp):
            gz = GzipWriter(out, codec.level)
            while chunk := f.read(1 << 20):
                gz.write(chunk)
            raw_hex, gz_hex, _ = gz.close()
            out.close()
            digest = Digest("sha256", gz_hex)
            store.commit(tmp, digest)
        media_type = DOCKER_LAYER_GZIP
        diff_id = Digest("sha256", raw_hex)
    size = store.path(digest).stat().st_size
    return Layer(Descriptor(media_type, digest, size), diff_id, store.opener(digest))


def compression_of(path: Path) -> str | None:
    """"gzip", "bzip2", "xz", "zstd" or "zip" from the file's first bytes; None for anything else (a plain tar)."""
    with open(path, "rb") as f:
        head = f.read(8)
    if head.startswith(b"PK\x03\x04"):
        return "zip"  # not something docker load takes, but a user may hand us one by mistake
    kind = decompress.sniff(head)
    return None if kind == "none" else kind


_UNREADABLE: tuple[type[Exception], ...] = (OSError, *decompress.DAMAGED)


@contextmanager
def _plain_tar(path: Path) -> Iterator[Path]:
    """`path` itself when it is a plain tar, else a temp file with it decompressed (gzip, bzip2, xz, zstd).

    `docker save IMG | gzip > image.tar.gz` is what `docker load` accepts, so
    we do too. The archive is decompressed once to a temp file because reading
    a layer means seeking, which a compressed stream cannot do cheaply.
    """
    kind = compression_of(path)
    if kind is None:
        yield path
        return
    if kind == "zip":
        raise UsageError(f"'{path}' is a zip file, which is not a docker-archive",
                         "unzip it first, or give a tar / .tar.gz / .tar.bz2 / .tar.xz / .tar.zst")
    fd, tmp = tempfile.mkstemp(dir=path.parent if os.access(path.parent, os.W_OK) else None,
                               prefix=f".{path.name}.", suffix=".tar")
    try:
        try:
            with os.fdopen(fd, "wb") as out, open(path, "rb") as packed, \
                    decompress.reader(packed, cast(decompress.Kind, kind)) as src:
                shutil.copyfileobj(src, out, 1 << 20)
        except _UNREADABLE as e:
            if isinstance(e, OSError) and e.strerror:
                raise
            raise UsageError(f"'{path}' is {kind}-compressed but damaged: {e or type(e).__name__}",
                             "write the archive again (docker save IMG | gzip > FILE)") from None
        yield Path(tmp)
    finally:
        os.unlink(tmp)


def read_archive(ref: ArchiveRef, ctx: Context) -> Image:
    """The image in a docker-archive: plain tar, or compressed with gzip, bzip2, xz or zstd as `docker load` takes it."""
    path = Path(ref.path)
    if not path.exists():
        raise NotFoundError(f"'{path}' does not exist", "give the path of a docker save / docker-archive tarball")
    kind = None
    try:
        with reading("the docker-archive", path):
            kind = compression_of(path)
            with _plain_tar(path) as plain, tarfile.open(plain, mode="r:") as tar:
                entries: list[dict[str, Any]] = json.loads(_member_bytes(tar, "manifest.json"))
                entry = _choose(entries, ref)
                config_bytes = _member_bytes(tar, entry["Config"])
                layers = [_import_layer(tar, name, ctx.store) for name in entry["Layers"]]
                manifest_bytes = _original_manifest(tar, config_bytes, layers)
    except tarfile.TarError as e:
        inside = f" (it is {kind}-compressed; the decompressed data is not a tar either)" if kind else \
            " (no tar header, and not gzip, bzip2, xz or zstd compressed)"
        raise UsageError(f"'{path}' is not a readable tar archive: {e}{inside}",
                         "give the output of 'docker save' (optionally gzip-compressed)") from None
    except decompress.DAMAGED as e:  # a truncated or corrupt compressed layer inside
        raise UsageError(f"a layer in '{path}' is damaged: {e}", "write the archive again") from None
    except (KeyError, TypeError, ValueError) as e:  # JSON that is not a docker-archive manifest
        raise UsageError(f"'{path}' has a malformed manifest.json or config: {type(e).__name__}: {e}",
                         "is it a docker-archive (docker save) tarball?") from None
    diff_ids = [Digest.parse(d) for d in json.loads(config_bytes).get("rootfs", {}).get("diff_ids", [])]
    if diff_ids != [layer.diff_id for layer in layers]:
        raise UsageError(f"the layers in '{path}' do not match the diff_ids of its config")
    if manifest_bytes is not None:
        return Image(manifest_bytes, config_bytes, tuple(layers))
    # Docker's v2.2 manifest has no zstd layer type; the OCI manifest does.
    family = OCI_MANIFEST if any(layer.media_type == OCI_LAYER_ZSTD for layer in layers) else DOCKER_MANIFEST
    return image_from_config(config_bytes, layers, family)


def _original_manifest(tar: tarfile.TarFile, config_bytes: bytes, layers: list[Layer]) -> bytes | None:
    """The manifest the archive was written from, when it carries one that matches."""
    try:
        index = json.loads(_member_bytes(tar, "index.json"))
    except (UsageError, ValueError):
        return None
    config_digest = str(Digest.of(config_bytes))
    for d in index.get("manifests", []):
        try:
            raw = _member_bytes(tar, f"blobs/sha256/{Digest.parse(d['digest']).hex}")
            m = json.loads(raw)
        except (UsageError, ValueError, KeyError):
            continue
        if m.get("config", {}).get("digest") == config_digest and \
                [x.get("digest") for x in m.get("layers", [])] == [str(layer.digest) for layer in layers]:
            return raw
    return None


def _choose(entries: list[dict[str, Any]], ref: ArchiveRef) -> dict[str, Any]:
    if ref.name is None:
        if len(entries) != 1:
            raise UsageError(f"'{ref.path}' holds {len(entries)} images", "name one: docker-archive:FILE:NAME:TAG")
        return entries[0]
    wanted = set(_repo_tag(ref.name)) | {f"{ref.name.name}:{ref.name.tag}"}
    for e in entries:
        if wanted & set(e.get("RepoTags") or []):
            return e
    raise NotFoundError(f"'{ref.path}' has no image {ref.name}")


