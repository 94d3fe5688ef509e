"""Node.js launch processes: the Procfile and the detected start command, as argv with node as PID 1.

The generic rules (exec form where possible, `exec` in a one-command shell
script, container arguments passed on as `"$@"`) are
`builder.buildpack.launch`'s; this module adds what is Node's own: a bare
`node` runs the layer's binary by absolute path, so the process does not depend
on PATH, and the detector's start command becomes `web` unless the Procfile
has one.

    node server.js              -> ["/layers/nodejs/node/bin/node", "server.js"]
    node app.js --port $PORT    -> ["/bin/sh", "-c", 'exec node app.js --port $PORT "$@"', "sh"]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from builder.buildpack.launch import SHELL, make_processes
from builder.buildpack.launch import command_argv as _generic_argv
from builder.lifecycle.contract import Process

__all__ = ["NODE", "SHELL", "command_argv", "needs_package_manager", "processes"]

NODE = "/layers/nodejs/node/bin/node"
ALIASES = {"node": NODE}
_PACKAGE_MANAGERS = ("npm", "npx", "yarn", "pnpm", "corepack")


def command_argv(command: str) -> list[str]:
    """The argv that runs `command` (Procfile / npm-script text) with the app as PID 1 where possible."""
    return _generic_argv(command, aliases=ALIASES)


def processes(procfile: Mapping[str, str], start_command: str) -> list[Process]:
    """Procfile entries plus `web` from the detected start command; `web` (else the first) is the default.

    `start_command` is the detector's choice (scripts.start, server.js, …); a
    Procfile `web` wins over it, as the detector already decided. [] when there
    is neither: the lifecycle fails the build unless a later buildpack of the
    group defines a process.
    """
    commands: dict[str, str] = dict(procfile)
    if "web" not in commands and start_command:
        commands = {"web": start_command, **commands}
    return make_processes(commands, default="web", aliases=ALIASES)


def needs_package_manager(argv: Sequence[str]) -> str | None:
    """The package manager a launch command calls, if any (it is not in the image)."""
    words = argv[2].split() if list(argv[:2]) == [SHELL, "-c"] and len(argv) > 2 else list(argv)
    return next((w for w in words if w in _PACKAGE_MANAGERS), None)
