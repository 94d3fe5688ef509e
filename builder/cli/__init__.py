"""The `dockless` command: a thin layer over the library.

Each subcommand lives in its own module and only parses flags, calls the
library, and prints. Errors become "error: …" / "hint: …" on stderr and the
exit code of their type (see builder.errors); never a traceback unless
--verbose.
"""

from __future__ import annotations

import os
import sys
import traceback

import click

from builder.cli.output import Output
from builder.errors import DocklessError, UsageError


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="dockless")
def cli() -> None:
    """Build OCI images from source with no Dockerfile and no Docker daemon."""


def _register() -> None:
    from builder.cli import copy, inspect

    cli.add_command(copy.copy_cmd)
    cli.add_command(inspect.inspect_cmd)
    for name in ("build", "detect", "stack"):
        try:
            module = __import__(f"builder.cli.{name}", fromlist=["command"])
        except ModuleNotFoundError as e:
            if e.name != f"builder.cli.{name}":
                raise
            continue
        cli.add_command(module.command)


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    verbose = "--verbose" in args or "-v" in args
    out = Output(verbose=verbose)
    _register()
    try:
        cli.main(args=args, prog_name="dockless", standalone_mode=False)
    except click.exceptions.Abort:
        out.console.print("aborted")
        sys.exit(130)
    except click.ClickException as e:
        out.error(UsageError(e.format_message(), "see 'dockless --help' or 'dockless COMMAND --help'"))
        sys.exit(UsageError.exit_code)
    except DocklessError as e:
        if verbose:
            traceback.print_exc()
        out.error(e)
        sys.exit(e.exit_code)
    except KeyboardInterrupt:
        out.console.print("interrupted")
        sys.exit(130)
    except Exception as e:  # a bug: still one line, the traceback only on request
        if verbose or os.environ.get("DOCKLESS_DEBUG"):
            traceback.print_exc()
        out.error(DocklessError(f"internal error: {type(e).__name__}: {e}",
                                "this is a bug in dockless; run again with --verbose and report the traceback"))
        sys.exit(1)
