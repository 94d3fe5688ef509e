"""`dockless builder …`: the step image and the Tekton / Knative Build manifests that run it."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from builder.cli.build import check_native, prepare_digest_file, write_digest_file
from builder.cli.common import common_options, make_context
from builder.cli.output import result, stdout
from builder.errors import BuildError, UsageError
from builder.lifecycle.pipeline import BuildRequest, build
from builder.lifecycle.services import default_services
from builder.reference import parse_reference, require_registry
from builder.source import SourceSpec
from builder.step.image import builder_services, dockless_source
from builder.step.manifests import DEFAULT_BUILDER, render_manifests


@click.group("builder")
def command() -> None:
    """The builder (step) image, and the manifests that run dockless as a Tekton or Knative Build step."""


@command.command("manifests")
@click.option("--builder", "builder_image", default=DEFAULT_BUILDER, show_default=True, metavar="REF",
              help="The builder image the steps run, best pinned by digest (what `dockless builder create` printed).")
@click.option("--out", type=click.Path(file_okay=False), metavar="DIR",
              help="Write the files under DIR (tekton/task.yaml, …) instead of printing them.")
def manifests(builder_image: str, out: str | None) -> None:
    """Print (or write) the Tekton Task and Pipeline and the Knative BuildTemplate for a builder image."""
    require_registry(builder_image, "--builder")  # a typo or an oci: path fails here, not in the cluster
    files = render_manifests(builder_image)
    if out is None:
        stdout("---\n".join(files.values()))
        return
    for rel, text in files.items():
        path = Path(out) / rel
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        except OSError as exc:
            raise UsageError(f"cannot write {path}: {exc.strerror or exc}", "check that --out is writable") from None
        print(path, file=sys.stderr)


@command.command("create")
@click.argument("source", required=False)
@click.option("--image", "image_ref", required=True, metavar="REF",
              help="Where to write the builder image: host/repo:tag, oci:DIR[:TAG], docker-archive:FILE, "
                   "docker-daemon:NAME:TAG.")
@click.option("--digest-file", type=click.Path(dir_okay=False), help="Write sha256:<hex> (no newline) here.")
@common_options(platform_default=None)
def create(source: str | None, image_ref: str, digest_file: str | None, verbose: bool, cache_dir: str | None,
           insecure: tuple[str, ...], platform: str | None) -> None:
    """Build the builder (step) image from dockless's own SOURCE [default: the tree this dockless runs from].

    The image is the build root (the tools buildpacks call) with dockless installed by its Python
    buildpack; its entrypoint is `dockless`, it runs as uid 1000 (or root), and builds in it run in
    the container itself, as a Tekton or Knative Build step needs. Same source, same digest.
    """
    ctx, out = make_context(verbose, cache_dir, insecure, platform)
    check_native(ctx.platform)
    prepare_digest_file(digest_file)
    request = BuildRequest(
        source=SourceSpec(source or str(dockless_source())), image=parse_reference(image_ref),
        buildpacks=("python",), source_date_epoch=os.environ.get("SOURCE_DATE_EPOCH"),
        cache_root=ctx.store.root, host_env=dict(os.environ))
    with default_services(ctx, log=out.log, environ=os.environ, progress=out.progress, debug=out.debug) as services:
        report = build(request, builder_services(services))
    entrypoint = (report.image.config.get("config") or {}).get("Entrypoint") or []
    if not entrypoint or Path(entrypoint[0]).name != "dockless":
        raise BuildError(f"the image was written, but its entrypoint is {entrypoint[:1] or 'empty'}, not dockless: "
                         "SOURCE is not dockless's source", "give a dockless checkout or git URL as SOURCE")
    write_digest_file(digest_file, report.written.digest)
    result(report.written.pinned)
