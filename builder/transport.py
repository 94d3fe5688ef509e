"""Read an image from, or write it to, any of the four media by reference.

The sinks are interchangeable: `write_image(image, parse_reference(s), ctx)`
works the same for a registry, an OCI layout, a docker-archive tarball or a
Docker daemon. This is the only module that knows all four, and it imports
them inside the functions: a medium never depends on the dispatcher (the
types they share live in the leaf `builder.context`).
"""

from __future__ import annotations

from builder.context import Context, ProgressFn, Written, no_progress
from builder.image.image import Image, validate
from builder.reference import ArchiveRef, DaemonRef, LayoutRef, Reference, RegistryRef

# Re-exported: callers written before builder.context existed import these from here.
__all__ = ["Context", "ProgressFn", "Written", "no_progress", "read_image", "write_image"]


def read_image(ref: Reference, ctx: Context) -> Image:
    """The image `ref` names, from whichever medium it is on (lazy where the medium allows)."""
    if isinstance(ref, RegistryRef):
        from builder.registry import read_registry

        return read_registry(ref, ctx)
    if isinstance(ref, LayoutRef):
        from builder.layout import read_layout

        return read_layout(ref, ctx)
    if isinstance(ref, ArchiveRef):
        from builder.archive import read_archive

        return read_archive(ref, ctx)
    from builder.daemon import read_daemon

    return read_daemon(ref, ctx)


def write_image(image: Image, ref: Reference, ctx: Context) -> Written:
    """Validate `image` and write it to the medium `ref` names; where it ended up, pinned by digest."""
    validate(image)
    if isinstance(ref, RegistryRef):
        from builder.registry import write_registry

        pinned = write_registry(image, ref, ctx)
        return Written(ref, str(image.digest), str(pinned))
    if isinstance(ref, LayoutRef):
        from builder.layout import write_layout

        write_layout(image, ref, ctx)
        return Written(ref, str(image.digest), f"{ref}@{image.digest}")
    if isinstance(ref, ArchiveRef):
        from builder.archive import write_archive

        write_archive(image, ref, ctx)
        return Written(ref, str(image.digest), f"{ref}@{image.digest}")
    assert isinstance(ref, DaemonRef)
    from builder.daemon import write_daemon

    pinned_ref = write_daemon(image, ref, ctx)
    return Written(ref, str(image.digest), pinned_ref)
