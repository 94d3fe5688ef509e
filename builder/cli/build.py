"""`dockless build [SOURCE] --image REF`: source to image, pushed by digest."""

from __future__ import annotations

import os
from pathlib import Path

import click
import httpx

from builder.cli.common import common_options, make_context
from builder.cli.output import result
from builder.cli.sourceopts import parse_env, source_options
from builder.errors import UsageError
from builder.image.image import Image
from builder.image.media import Platform
from builder.lifecycle.contract import Executor
from builder.lifecycle.pipeline import BuildRequest, Services, build
from builder.sandbox import select_executor
from builder.stack import archive_client, default_build_root, default_run_image, open_archive
from builder.reference import parse_reference
from builder.source import SourceSpec
from builder.transport import read_image


@click.command("build")
@source_options
@click.option("--image", "image_ref", required=True, metavar="REF",
              help="Where to write: host/repo:tag, oci:DIR[:TAG], docker-archive:FILE[:NAME:TAG], docker-daemon:NAME:TAG.")
@click.option("--run-image", metavar="REF", help="Base image to build on [default: the built-in Debian stack].")
@click.option("--digest-file", type=click.Path(dir_okay=False), help="Write sha256:<hex> (no newline) here.")
@common_options(platform_default=None)
def command(source: str, revision: str | None, subdir: str | None, env: tuple[str, ...], image_ref: str,
            run_image: str | None, digest_file: str | None, verbose: bool, cache_dir: str | None,
            insecure: tuple[str, ...], platform: str) -> None:
    """Build SOURCE (a directory or a git URL) into an image and write it to --image.

    The last line of stdout is REPO@sha256:<digest>; progress goes to stderr.
    """
    ctx, out = make_context(verbose, cache_dir, insecure, platform)
    host = Platform.host()
    if ctx.platform.architecture != host.architecture:
        raise UsageError(f"building for {ctx.platform} on a {host} machine is not supported",
                         "build on a machine of that architecture (build commands run natively), "
                         "or leave out --platform")
    dest = parse_reference(image_ref)
    base_ref = parse_reference(run_image) if run_image else None
    build_env = parse_env(env)
    cache_root = ctx.store.root

    clients: list[httpx.Client] = []

    def mirror_client() -> httpx.Client:  # made only when the stack must be (re)checked
        clients.append(archive_client(ca_file=os.environ.get("SSL_CERT_FILE")))
        return clients[-1]

    archive = open_archive(cache_root, mirror_client, arch=host.architecture)

    def base() -> Image:
        if base_ref is not None:
            out.log(f"run image {base_ref}")
            return read_image(base_ref, ctx)
        out.log(f"run image: the built-in {archive.suite} stack")
        return default_run_image(cache_root, archive, ctx, log=out.log,
                                 progress=lambda done, total: out.progress("run image packages", done, total))

    def executor(workspace: Path) -> Executor:
        # The build root (~130 MB of .debs) is made only if the sandbox can run here.
        def build_root() -> Path:
            return default_build_root(cache_root, archive, log=out.log,
                                      progress=lambda done, total: out.progress("build root packages", done, total))

        return select_executor(build_root, workspace, env=os.environ, log=out.debug, notice=out.log)

    try:
        report = build(
            BuildRequest(
                source=SourceSpec(source, revision, subdir),
                image=dest,
                env=build_env,
                source_date_epoch=os.environ.get("SOURCE_DATE_EPOCH"),
                cache_root=cache_root,
                host_env=dict(os.environ),
            ),
            Services(ctx=ctx, log=out.log, make_executor=executor, run_image=base),
        )
    finally:
        for client in clients:
            client.close()
    if digest_file:
        Path(digest_file).write_text(report.written.digest)
    result(report.written.pinned)


