"""`dockless stack create`: make the Debian run image and write it to any sink."""

from __future__ import annotations

import os

import click

from builder.cache import cache_root
from builder.cli.common import common_options, make_context
from builder.cli.output import result
from builder.reference import DaemonRef, RegistryRef, parse_reference
from builder.stack import DEFAULT_MIRROR, DEFAULT_SUITE, archive_client, create_run_image, open_archive
from builder.transport import write_image


@click.group("stack")
def command() -> None:
    """The built-in Debian stack: run images made from Debian packages."""


@command.command("create")
@click.option("--image", "image_ref", required=True, metavar="REF",
              help="Where to write it: host/repo:tag, oci:DIR[:TAG], docker-archive:FILE[:NAME:TAG], docker-daemon:NAME:TAG.")
@click.option("--suite", default=DEFAULT_SUITE, show_default=True, help="Debian suite (codename).")
@click.option("--arch", default="amd64", show_default=True, help="Debian architecture.")
@click.option("--add", "add", multiple=True, metavar="PKG", help="Another Debian package to include (repeatable).")
@click.option("--mirror", default=DEFAULT_MIRROR, show_default=True, help="Debian mirror URL.")
@common_options
def create_cmd(image_ref: str, suite: str, arch: str, add: tuple[str, ...], mirror: str, verbose: bool,
               cache_dir: str | None, insecure: tuple[str, ...], platform: str) -> None:  # fmt: skip
    """Create the run image: a few Debian packages, one reproducible layer, a non-root user.

    The same archive state always gives the same digest. For registry and daemon
    destinations the last line of stdout is REPO@sha256:<digest>, else the digest.
    """
    dest = parse_reference(image_ref)
    ctx, out = make_context(verbose, cache_dir, insecure, platform)
    root = cache_root(cache_dir, os.environ)
    out.log(f"reading the {suite} package index from {mirror}")
    with archive_client(mirror, ca_file=os.environ.get("SSL_CERT_FILE")) as client:
        archive = open_archive(root, client, suite=suite, arch=arch, mirror=mirror)

        def progress(done: int, total: int) -> None:
            out.progress("downloading packages (bytes)", done, total)

        image = create_run_image(archive, store=ctx.store, add=add, progress=progress, log=out.log)
    size = sum(layer.size for layer in image.layers)
    out.log(f"writing {dest} ({image.digest}, {size / 1e6:.1f} MB compressed)")
    written = write_image(image, dest, ctx)
    result(written.pinned if isinstance(dest, (RegistryRef, DaemonRef)) else written.digest)
