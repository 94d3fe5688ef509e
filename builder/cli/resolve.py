"""`dockless resolve -f FILE|DIR`: build the `dockless://` images of Kubernetes YAML and print it pinned by digest."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import click

from builder.cli.build import check_native
from builder.cli.common import common_options, make_context
from builder.cli.output import stdout
from builder.cli.sourceopts import parse_env
from builder.errors import UsageError
from builder.image.image import Image
from builder.lifecycle.pipeline import BuildRequest, build
from builder.lifecycle.services import default_services
from builder.reference import Reference, parse_reference, require_registry
from builder.resolve import SourceRef, load_documents, resolve_documents
from builder.source import SourceSpec
from builder.transport import write_image

REPO_ENV = "DOCKLESS_REPO"


@click.command("resolve")
@click.option("-f", "--filename", "targets", multiple=True, required=True, metavar="FILE|DIR",
              help="A YAML file, or a directory of them (repeatable).")
@click.option("--image-prefix", metavar="REPO",
              help=f"Push images under REPO/NAME:TAG [default: ${REPO_ENV}], e.g. registry.example.com/team.")
@click.option("--env", "env", multiple=True, metavar="K=V", help="Build-time environment variable for every build.")
@click.option("--run-image", metavar="REF", help="Base image to build on [default: the built-in Debian stack].")
@common_options(platform_default=None)
def command(targets: tuple[str, ...], image_prefix: str | None, env: tuple[str, ...], run_image: str | None,
            verbose: bool, cache_dir: str | None, insecure: tuple[str, ...], platform: str | None) -> None:
    """Build every image written as dockless://SOURCE in the YAML and print the YAML with REPO@sha256:… instead.

    SOURCE is a directory (relative to the current directory) or a git URL with
    an optional #REVISION and :SUBDIR, e.g. dockless://./hello or
    dockless://https://git.example.com/org/app.git#v1:web. Each distinct
    source is built once; everything else in the YAML is printed as written.
    Nothing is pushed or printed unless every build succeeds.
    """
    prefix = image_prefix or os.environ.get(REPO_ENV, "")
    if not prefix:
        raise UsageError(f"no repository to push to: give --image-prefix or set {REPO_ENV}",
                         "e.g. --image-prefix registry.example.com/team (as ko's KO_DOCKER_REPO)")
    require_registry(f"{prefix.rstrip('/')}/name:tag", "--image-prefix")  # fails now, before any build
    files = [doc for target in targets for doc in load_documents(Path(target))]
    ctx, out = make_context(verbose, cache_dir, insecure, platform)
    check_native(ctx.platform)
    build_env = parse_env(env)
    staged: list[tuple[Image, Reference]] = []
    with tempfile.TemporaryDirectory(prefix="dockless-resolve-") as staging, \
            default_services(ctx, log=out.log, environ=os.environ, progress=out.progress, debug=out.debug,
                             run_image=parse_reference(run_image) if run_image else None) as services:

        def build_one(ref: SourceRef, image: str) -> str:
            """Build into a local layout; the push waits until every build has succeeded."""
            destination = parse_reference(image)
            request = BuildRequest(source=SourceSpec(ref.source, ref.revision, ref.subdir),
                                   image=parse_reference(f"oci:{staging}/{len(staged)}"), env=build_env,
                                   source_date_epoch=os.environ.get("SOURCE_DATE_EPOCH"),
                                   cache_root=ctx.store.root, host_env=dict(os.environ))
            report = build(request, services)
            staged.append((report.image, destination))
            return f"{image.rsplit(':', 1)[0]}@{report.written.digest}"

        images = resolve_documents(files, prefix, build_one, out.log)
        for image, destination in staged:
            out.log(f"pushing {destination}")
            write_image(image, destination, ctx)
    if not images:
        out.log("no dockless:// references: the YAML is printed unchanged")
    stdout("---\n".join(doc.dump() for doc in files if doc.docs))
    sys.stdout.flush()
