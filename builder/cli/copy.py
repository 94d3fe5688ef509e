"""`dockless copy SRC DST`."""

from __future__ import annotations

import click

from builder.cli.common import common_options, make_context
from builder.cli.output import result
from builder.reference import parse_reference
from builder.transport import read_image, write_image


@click.command("copy")
@click.argument("src")
@click.argument("dst")
@common_options
def copy_cmd(src: str, dst: str, verbose: bool, cache_dir: str | None, insecure: tuple[str, ...], platform: str) -> None:
    """Copy an image between a registry, oci:DIR, docker-archive:FILE and docker-daemon:NAME:TAG.

    The manifest is copied byte for byte where both sides keep manifests, so
    the digest stays the same. The last line of stdout is REF@sha256:<digest>.
    """
    ctx, out = make_context(verbose, cache_dir, insecure, platform)
    source, dest = parse_reference(src), parse_reference(dst)
    out.log(f"reading {source}")
    image = read_image(source, ctx)
    out.log(f"writing {dest} ({len(image.layers)} layers, {image.digest})")
    written = write_image(image, dest, ctx)
    result(written.pinned)
