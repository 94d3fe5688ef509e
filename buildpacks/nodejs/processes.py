"""Launch processes: the start command as argv, so that SIGTERM reaches the app.

Knative stops a revision with SIGTERM to PID 1. npm as PID 1 does not pass it on
reliably (and is not in the image anyway), and `sh -c "node x"` leaves the shell
as PID 1, which ignores it. So a command is turned into argv in the cheapest way
that keeps the app as PID 1:

    node server.js               -> ["/layers/nodejs/node/bin/node", "server.js"]
    node app.js --port $PORT     -> ["/bin/sh", "-c", "exec node app.js --port $PORT"]
    NODE_OPTIONS=x node app.js   -> ["/bin/sh", "-c", "NODE_OPTIONS=x exec node app.js"]
    node a.js && node b.js       -> ["/bin/sh", "-c", "node a.js && node b.js"]   (no single app)
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping, Sequence

from builder.errors import BuildError
from builder.lifecycle.contract import Process

NODE = "/layers/nodejs/node/bin/node"
SHELL = "/bin/sh"
_CONTROL = re.compile(r"&&|\|\||[;&|\n`]|\$\(|\(|\)")     # more than one command, or a subshell
_EXPANDS = re.compile(r"[$*?\[\]~<>{}]")                # needs the shell, but is still one command
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_PACKAGE_MANAGERS = ("npm", "npx", "yarn", "pnpm", "corepack")


def command_argv(command: str) -> list[str]:
    """The argv that runs `command` (Procfile / npm-script text) with the app as PID 1 where possible."""
    command = command.strip()
    if _CONTROL.search(command):
        return [SHELL, "-c", command]
    try:
        words = shlex.split(command)
    except ValueError:
        return [SHELL, "-c", command]
    if not words:
        raise BuildError("the start command is empty", "put a command after 'web:' or in scripts.start")
    assignments = 0
    while assignments < len(words) and _ASSIGNMENT.match(words[assignments]):
        assignments += 1
    if assignments == 0 and not _EXPANDS.search(command):
        return [NODE if words[0] == "node" else words[0], *words[1:]]
    if assignments == len(words):
        return [SHELL, "-c", command]
    rest = _after_words(command, assignments)
    prefix = command[: len(command) - len(rest)].strip()
    return [SHELL, "-c", f"{prefix} exec {rest}".strip()]


def processes(procfile: Mapping[str, str], start_command: str) -> list[Process]:
    """Procfile entries plus `web` from the detected start command; `web` (else the first) is the default.

    `start_command` is the detector's choice (scripts.start, server.js, …); a
    Procfile `web` wins over it, as the detector already decided.
    """
    commands: dict[str, str] = dict(procfile)
    if "web" not in commands and start_command:
        commands = {"web": start_command, **commands}
    if not commands:
        raise BuildError("no start command: no Procfile, no scripts.start, no server.js, index.js or main",
                         "add a 'start' script to package.json or a Procfile with 'web: node server.js'")
    default = "web" if "web" in commands else next(iter(commands))
    return [Process(kind, tuple(command_argv(text)), default=kind == default) for kind, text in commands.items()]


def needs_package_manager(argv: Sequence[str]) -> str | None:
    """The package manager a launch command calls, if any: it is not in the image, so the build warns."""
    words = argv[2].split() if argv[:2] == [SHELL, "-c"] and len(argv) > 2 else list(argv)
    return next((w for w in words if w in _PACKAGE_MANAGERS), None)


def _after_words(command: str, count: int) -> str:
    """The text of `command` after its first `count` shell words, quoting and expansions untouched."""
    rest = command
    for _ in range(count):
        rest = rest.lstrip()
        match = re.match(r"""(?:[^\s'"\\]|\\.|'[^']*'|"(?:[^"\\]|\\.)*")+""", rest)
        rest = rest[match.end():] if match else rest
    return rest.strip()
