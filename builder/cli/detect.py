"""`dockless detect [SOURCE]`: which group of buildpacks would run, and why (or why not)."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import click

from builder.cli.output import Output, result
from builder.cli.sourceopts import parse_env, source_options
from builder.lifecycle.contract import Executor
from builder.lifecycle.detect import DetectResult, require
from builder.lifecycle.pipeline import fetch_and_detect
from builder.source import SourceSpec


@click.command("detect")
@source_options
@click.option("--buildpack", "-b", "buildpacks", multiple=True, metavar="ID|DIR",
              help="Try only this group of buildpacks, in order (repeatable), as 'build --buildpack' would.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("-v", "--verbose", is_flag=True, help="Show the build plan too.")
@click.option("--cache-dir", type=click.Path(file_okay=False),
              help="Cache directory, as for build; used when an external buildpack's bin/detect runs in the "
                   "sandbox [default: $DOCKLESS_CACHE_DIR or ~/.cache/dockless].")
def command(source: str, revision: str | None, subdir: str | None, env: tuple[str, ...],
            buildpacks: tuple[str, ...], as_json: bool, verbose: bool, cache_dir: str | None) -> None:
    """Show which group of buildpacks would build SOURCE (a directory or git URL) and why.

    Groups are tried in order; the first whose required buildpacks pass wins.
    When none does, every group is listed with each buildpack's reasons, and
    the exit code is 4 (2 when a buildpack found a malformed file).
    """
    out = Output(verbose=verbose)
    with tempfile.TemporaryDirectory(prefix="dockless-detect-") as tmp:
        workspace, _, detected = fetch_and_detect(
            SourceSpec(source, revision, subdir), Path(tmp) / "ws", parse_env(env), out.log,
            buildpacks=buildpacks, host_env=dict(os.environ), executor=_executor(out, cache_dir))
    if as_json:
        result(json.dumps({
            "source": workspace.url or source,
            "commit": workspace.commit,
            "group": list(detected.buildpack_ids),
            "groups": [
                {"passed": c.passed, "why": c.why, "buildpacks": [
                    {"id": m.id, "optional": m.optional, "passed": d.passed, "reasons": list(d.reasons),
                     "malformed": d.malformed, "provides": list(d.provides),
                     "requires": [{"name": r.name, "metadata": dict(r.metadata)} for r in d.requires]}
                    for m, d in c.members]}
                for c in detected.candidates
            ],
        }, indent=2))
    else:
        _print(detected, verbose)
    require(detected)


def _print(detected: DetectResult, verbose: bool) -> None:
    for index, candidate in enumerate(detected.candidates, 1):
        mark = "pass" if candidate.passed else "fail"
        result(f"{mark}  group {index}: {' + '.join(m.id for m, _ in candidate.members)}"
               + (f" ({candidate.why})" if candidate.why else ""))
        for member, detection in candidate.members:
            state = "pass" if detection.passed else ("skip" if member.optional else "fail")
            result(f"      {state}  {member.id}" + (" (optional)" if member.optional else ""))
            for reason in detection.reasons:
                result(f"            {reason}")
            if verbose:
                for needed in detection.requires:
                    for key, value in needed.metadata.items():
                        if value:
                            result(f"            requires {needed.name}.{key} = {value}")


def _executor(out: Output, cache_dir: str | None) -> Callable[[Path], Executor]:
    """The sandbox, made only if an external buildpack's bin/detect has to run."""
    def make(workspace: Path) -> Executor:
        from builder.cli.common import make_context
        from builder.lifecycle.services import default_services

        ctx, _ = make_context(out.verbose, cache_dir, (), None)
        with default_services(ctx, log=out.log, environ=os.environ) as services:
            return services.make_executor(workspace, (), services.suites[0])
    return make
