"""`dockless builder …`: the step image and the Tekton / Knative Build manifests that run it."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from builder.errors import UsageError
from builder.reference import parse_reference
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
    parse_reference(builder_image)  # a typo fails here, not in the cluster
    files = render_manifests(builder_image)
    if out is None:
        sys.stdout.write("---\n".join(files.values()))
        return
    for rel, text in files.items():
        path = Path(out) / rel
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        except OSError as exc:
            raise UsageError(f"cannot write {path}: {exc.strerror or exc}", "check that --out is writable") from None
        print(path, file=sys.stderr)
