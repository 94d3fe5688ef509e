"""`dockless build [SOURCE] --image REF`: source to image, pushed by digest."""

from __future__ import annotations

import os
from pathlib import Path

import click

from builder.cli.common import common_options, make_context
from builder.cli.output import result
from builder.cli.sourceopts import parse_env, source_options
from builder.errors import PublishError, UsageError
from builder.image.media import Platform
from builder.lifecycle.pipeline import BuildRequest, build
from builder.lifecycle.services import default_services
from builder.reference import parse_reference
from builder.source import SourceSpec


def check_native(platform: Platform) -> None:
    """Builds run their commands natively: another architecture is a UsageError (exit 2)."""
    host = Platform.host()
    if platform.architecture != host.architecture:
        raise UsageError(f"building for {platform} on a {host} machine is not supported",
                         "build on a machine of that architecture (build commands run natively), "
                         "or leave out --platform")


@click.command("build")
@source_options
@click.option("--image", "image_ref", required=True, metavar="REF",
              help="Where to write: host/repo:tag, oci:DIR[:TAG], docker-archive:FILE[:NAME:TAG], docker-daemon:NAME:TAG.")
@click.option("--run-image", metavar="REF", help="Base image to build on [default: the built-in Debian stack].")
@click.option("--buildpack", "-b", "buildpacks", multiple=True, metavar="ID|DIR",
              help="Use these buildpacks, in order, as one group instead of detecting (repeatable): "
                   "a built-in id (nodejs) or a directory holding a CNB buildpack.")
@click.option("--digest-file", type=click.Path(dir_okay=False), help="Write sha256:<hex> (no newline) here.")
@common_options(platform_default=None)
def command(source: str, revision: str | None, subdir: str | None, env: tuple[str, ...], image_ref: str,
            run_image: str | None, buildpacks: tuple[str, ...], digest_file: str | None, verbose: bool,
            cache_dir: str | None, insecure: tuple[str, ...], platform: str) -> None:
    """Build SOURCE (a directory or a git URL) into an image and write it to --image.

    The last line of stdout is REPO@sha256:<digest>; progress goes to stderr.
    """
    ctx, out = make_context(verbose, cache_dir, insecure, platform)
    check_native(ctx.platform)
    prepare_digest_file(digest_file)
    request = BuildRequest(
        source=SourceSpec(source, revision, subdir),
        image=parse_reference(image_ref),
        env=parse_env(env),
        buildpacks=buildpacks,
        source_date_epoch=os.environ.get("SOURCE_DATE_EPOCH"),
        cache_root=ctx.store.root,
        host_env=dict(os.environ),
    )
    with default_services(ctx, log=out.log, environ=os.environ, progress=out.progress, debug=out.debug,
                          run_image=parse_reference(run_image) if run_image else None) as services:
        report = build(request, services)
    write_digest_file(digest_file, report.written.digest)
    result(report.written.pinned)


def prepare_digest_file(path: str | None) -> None:
    """Before anything is built or pushed: --digest-file must be writable (else UsageError, exit 2), and a
    file left by an earlier build is removed, so a failed build never leaves a digest that is not its own."""
    if not path:
        return
    target = Path(path)
    parent = target.parent
    if not parent.is_dir():
        raise UsageError(f"--digest-file {path}: the directory {parent} does not exist",
                         "create it first, or give a path in an existing directory")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise UsageError(f"--digest-file {path}: the directory {parent} is not writable",
                         "give a path in a directory this user can write")
    try:
        target.unlink(missing_ok=True)
    except OSError as exc:
        raise UsageError(f"--digest-file {path} cannot be replaced: {exc.strerror or exc}",
                         "give the path of a file, not of a directory") from None


def write_digest_file(path: str | None, digest: str) -> None:
    """--digest-file: `sha256:<hex>` with no newline (kaniko's and Tekton results' convention)."""
    if not path:
        return
    try:
        Path(path).write_text(digest)
    except OSError as exc:
        raise PublishError(f"the image was written, but --digest-file {path} could not be: "
                           f"{exc.strerror or exc}", "check that the directory exists and is writable") from None
