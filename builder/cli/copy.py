"""`dockless copy SRC DST`: an image, or an index with all its platforms, between any two media."""

from __future__ import annotations

import click

from builder.cli.common import common_options, make_context, platforms_of
from builder.cli.output import result
from builder.errors import UsageError
from builder.image.media import require_platform
from builder.reference import parse_reference
from builder.transport import holds_indexes, read_image, read_tree, write_image, write_tree


@click.command("copy")
@click.argument("src")
@click.argument("dst")
@click.option("--all-platforms", "all_platforms", is_flag=True,
              help="Copy an index whole: every platform's manifest and blobs, and the index's own digest. "
                   "This is the default when neither flag is given.")
@common_options(platform_default=None,
                platform_help="Copy only this OS/ARCH[/VARIANT] image out of an index (the copy then has that "
                              "image's digest, not the index's).")
def copy_cmd(src: str, dst: str, all_platforms: bool, verbose: bool, cache_dir: str | None,
             insecure: tuple[str, ...], platform: str | None) -> None:
    """Copy an image between a registry, oci:DIR, docker-archive:FILE and docker-daemon:NAME:TAG.

    The manifest is copied byte for byte where both sides keep manifests, so
    the digest stays the same; an index (a multi-platform image) is copied
    whole, index digest included, and so is an OCI artifact (a manifest whose
    config is not an image's). docker-archive and docker-daemon hold one
    image, so from an index they get this machine's platform, or --platform's.
    A destination REPO:TAG@sha256:… writes the tag only if the digest is the
    copied one. The last line of stdout is REF@sha256:<digest>.
    """
    if all_platforms and platform:
        raise UsageError("--all-platforms and --platform exclude each other",
                         "give --platform OS/ARCH for one image, or neither to copy every platform")
    ctx, out = make_context(verbose, cache_dir, insecure, platform)
    source, dest = parse_reference(src), parse_reference(dst)
    out.log(f"reading {source}")
    tree = read_tree(source, ctx)
    if tree is not None and tree.is_artifact:
        if not holds_indexes(dest):
            raise UsageError(f"{source} is an artifact (config {tree.blobs[0].descriptor.media_type}), not an image",
                             "docker-archive and docker-daemon hold images only; copy it to a registry or oci:DIR")
        out.log(f"writing {dest} (an artifact: {len(tree.blobs)} blobs, {tree.digest})")
        result(write_tree(tree, dest, ctx).pinned)
        return
    if tree is not None and tree.is_index:
        offered = platforms_of(tree)
        if platform is None and holds_indexes(dest):
            blobs = tree.all_blobs()
            out.log(f"writing {dest} (an index of {offered}: {len(tree.children)} manifests, {len(blobs)} blobs, "
                    f"{tree.digest})")
            result(write_tree(tree, dest, ctx).pinned)
            return
        if platform is None and all_platforms:
            raise UsageError(f"{source} is an index ({offered}) and {dest} holds one image",
                             "choose one platform with --platform, or copy to a registry or oci:DIR")
        why = "as asked by --platform" if platform else f"{dest} holds one image; choose another with --platform"
        out.log(f"{source} is an index ({offered}): copying only {ctx.platform}, {why}")
    image = read_image(source, ctx)
    if platform and (tree is None or not tree.is_index):
        require_platform(image.platform, ctx.platform, str(source))  # as an index without it would: exit 12
    out.log(f"writing {dest} ({len(image.layers)} layers, {image.digest})")
    written = write_image(image, dest, ctx)
    result(written.pinned)
