"""Read an image from, or write it to, any of the four media by reference.

The sinks are interchangeable: `write_image(image, parse_reference(s), ctx)`
works the same for a registry, an OCI layout, a docker-archive tarball or a
Docker daemon. This is the only module that knows all four, and it imports
them inside the functions: a medium never depends on the dispatcher (the
types they share live in the leaf `builder.context`).
"""

from __future__ import annotations

from collections.abc import Callable

from builder.context import Context, ProgressFn, Written, no_progress
from builder.errors import UsageError
from builder.image.image import Image, validate
from builder.image.index import Node
from builder.reference import ArchiveRef, DaemonRef, LayoutRef, Reference, RegistryRef

# Re-exported: callers written before builder.context existed import these from here.
__all__ = ["Context", "ProgressFn", "Written", "check_writable", "holds_indexes", "no_progress", "read_image",
           "read_tree", "write_image", "write_tree"]


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


def check_writable(ref: Reference, ctx: Context, log: Callable[[str], None]) -> None:
    """Fail now, with the write's own error, where writing to `ref` later would fail for a reason known now.

    For a build, so minutes of work are not thrown away on a wrong password or a
    registry that is down (kaniko checks push permission before building too):
    a registry must accept an upload, a Docker daemon must answer. Files are
    checked when written (their directory may be made by the write).
    """
    if isinstance(ref, RegistryRef):
        from builder.registry import check_push_access

        log(f"checking that {ref.registry} lets us push to {ref.repository}")
        check_push_access(ref, ctx)
    elif isinstance(ref, DaemonRef):
        from builder.daemon import check_daemon

        check_daemon()


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
        return Written(ref, str(image.digest), ref.pinned(image.digest))
    if isinstance(ref, ArchiveRef):
        from builder.archive import write_archive

        write_archive(image, ref, ctx)
        return Written(ref, str(image.digest), f"{ref}@{image.digest}")
    assert isinstance(ref, DaemonRef)
    from builder.daemon import write_daemon

    pinned_ref = write_daemon(image, ref, ctx)
    return Written(ref, str(image.digest), pinned_ref)


def read_tree(ref: Reference, ctx: Context) -> Node | None:
    """The manifest tree `ref` names when its medium keeps manifests (registry, oci:), else None.

    Callers use it to see whether a reference names an index (`tree.is_index`)
    before deciding to copy it whole or pick one platform with `read_image`.
    """
    if isinstance(ref, RegistryRef):
        from builder.registry import read_registry_tree

        return read_registry_tree(ref, ctx)
    if isinstance(ref, LayoutRef):
        from builder.layout import read_layout_tree

        return read_layout_tree(ref, ctx)
    return None


def holds_indexes(ref: Reference) -> bool:
    """True for the media that can store an index (registry, oci:); docker-archive and the daemon hold one image."""
    return isinstance(ref, (RegistryRef, LayoutRef))


def write_tree(tree: Node, ref: Reference, ctx: Context) -> Written:
    """Write a manifest tree (an index and everything below it) to a registry or an OCI layout."""
    if isinstance(ref, RegistryRef):
        from builder.registry import write_registry_tree

        pushed = write_registry_tree(tree, ref, ctx)
        return Written(ref, str(tree.digest), str(pushed.ref))
    if isinstance(ref, LayoutRef):
        from builder.layout import write_layout_tree

        write_layout_tree(tree, ref, ctx)
        return Written(ref, str(tree.digest), ref.pinned(tree.digest))
    raise UsageError(f"{ref} can hold one image, not an index", "choose one platform with --platform")
