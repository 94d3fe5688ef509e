"""The `dockless` command: a thin layer over the library.

Each subcommand lives in its own module and only parses flags, calls the
library, and prints. Errors become "error: …" / "hint: …" on stderr and the
exit code of their type (see builder.errors); never a traceback unless
--verbose.
"""

from __future__ import annotations

import importlib
import os
import sys
import traceback

import click

from builder.cli.output import Output
from builder.errors import DocklessError, UsageError


# Each subcommand is imported only when it runs: `dockless copy` does not pay for
# the stack, the sandbox or the buildpacks at start-up.
COMMANDS = {
    "build": "builder.cli.build:command",
    "builder": "builder.cli.builder:command",
    "copy": "builder.cli.copy:copy_cmd",
    "detect": "builder.cli.detect:command",
    "inspect": "builder.cli.inspect:inspect_cmd",
    "resolve": "builder.cli.resolve:command",
    "stack": "builder.cli.stack:command",
}


class LazyGroup(click.Group):
    """A click group that imports a subcommand's module on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        spec = COMMANDS.get(cmd_name)
        if spec is None:
            return None
        module, _, attr = spec.partition(":")
        command: click.Command = getattr(importlib.import_module(module), attr)
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="dockless")
def cli() -> None:
    """Build OCI images from source with no Dockerfile and no Docker daemon."""


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    verbose = "--verbose" in args or "-v" in args
    out = Output(verbose=verbose)
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
