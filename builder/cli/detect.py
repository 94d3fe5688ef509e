"""`dockless detect [SOURCE]`: which buildpack would run, and why (or why not)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import click

from builder.cli.output import Output, result
from builder.cli.sourceopts import parse_env, source_options
from builder.lifecycle.detect import require
from builder.lifecycle.pipeline import fetch_and_detect
from builder.source import SourceSpec


@click.command("detect")
@source_options
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("-v", "--verbose", is_flag=True, help="Show details.")
def command(source: str, revision: str | None, subdir: str | None, env: tuple[str, ...],
            as_json: bool, verbose: bool) -> None:
    """Show which buildpack would build SOURCE (a directory or git URL) and why.

    When nothing matches, every detector is listed with the reason it did not
    match, and the exit code is 4.
    """
    out = Output(verbose=verbose)
    with tempfile.TemporaryDirectory(prefix="dockless-detect-") as tmp:
        workspace, _, detected = fetch_and_detect(SourceSpec(source, revision, subdir), Path(tmp) / "ws",
                                                  parse_env(env), out.log)
    if as_json:
        result(json.dumps({
            "source": workspace.url or source,
            "commit": workspace.commit,
            "chosen": detected.chosen.buildpack if detected.chosen else None,
            "detectors": [
                {"detector": d.detector, "buildpack": d.buildpack, "passed": d.passed,
                 "reasons": list(d.reasons), "requires": dict(d.requires)}
                for d in detected.results
            ],
        }, indent=2))
    else:
        for d in detected.results:
            mark = "pass" if d.passed else "fail"
            result(f"{mark}  {d.detector}" + ("" if d.buildpack == d.detector else f" (buildpack {d.buildpack})"))
            for reason in d.reasons:
                result(f"      {reason}")
            if verbose:  # the machine-readable plan; --json has it too
                for k, v in d.requires.items():
                    result(f"      {k} = {v}")
    require(detected)
