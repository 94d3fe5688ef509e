"""Images as values: digests, descriptors, layers, the image, and pure changes to it.

    layer = layer_from_dir(Path("app"), store, prefix="workspace", uid=1000, gid=1000)
    image = with_config(append_layers(scratch(), [layer]), ConfigChange(user="1000", cmd=["node", "server.js"]))
    image.digest                                   # sha256 of the exact manifest bytes

Reproducibility lives in one place (`tarball.write_tar`), compression in one
(`compress.GzipWriter`), reuse in one (`blobs.BlobStore`). Writers for the
four media live beside this package (`builder.transport`).
"""

from __future__ import annotations

from builder.image.blobs import BlobStore
from builder.image.compress import Codec
from builder.image.digest import Digest
from builder.image.image import Image, image_from_config, make_image, validate
from builder.image.layer import Layer, Origin, layer_from_blob, layer_from_dir, layer_from_entries
from builder.image.media import Descriptor, Platform, choose_platform
from builder.image.mutate import ConfigChange, append_layers, scratch, with_config
from builder.image.tarball import Entry, layer_epoch, safe_members, scan_dir, write_tar

__all__ = [
    "BlobStore",
    "Codec",
    "ConfigChange",
    "Descriptor",
    "Digest",
    "Entry",
    "Image",
    "Layer",
    "Origin",
    "Platform",
    "append_layers",
    "choose_platform",
    "image_from_config",
    "layer_epoch",
    "layer_from_blob",
    "layer_from_dir",
    "layer_from_entries",
    "make_image",
    "safe_members",
    "scan_dir",
    "scratch",
    "validate",
    "with_config",
    "write_tar",
]
