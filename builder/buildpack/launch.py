"""Launch processes: start-command text (a Procfile line, an npm script) as argv.

Two things matter when the image runs:

- **The app is PID 1**, so `docker stop` / Knative's SIGTERM reaches it. A
  shell as PID 1 ignores SIGTERM (and a package manager passes it on badly), so
  a command is turned into argv in the cheapest way that keeps the app as PID 1.
- **Container arguments reach the app.** The image's ENTRYPOINT is the default
  process's `command` and CMD its `args` (see `builder.lifecycle.export`);
  `docker run IMAGE --sink=http://x --interval=1` (and a Knative
  ContainerSource's `args`) replaces CMD, so the arguments are appended to the
  ENTRYPOINT. An exec-form argv gets them as they are; a shell-form script gets
  them as its positional parameters: `sh -c SCRIPT sh ARGS…` sets `$0` to `sh`
  and `"$@"` to ARGS, and a one-command script ends in `"$@"` to pass them on.

    node server.js              -> [node, "server.js"]                                   (+ ARGS)
    node app.js --port $PORT    -> [sh, "-c", 'exec node app.js --port $PORT "$@"', "sh"]
    NODE_OPTIONS=x node app.js  -> [sh, "-c", 'NODE_OPTIONS=x exec node app.js "$@"', "sh"]
    node a.js && node b.js      -> [sh, "-c", 'node a.js && exec node b.js "$@"', "sh"]
    node a.js || node b.js      -> [sh, "-c", "node a.js || node b.js", "sh"]

A sequence of simple commands joined by `&&` or `;` (`node migrate.js && node
server.js`, `cd src && node app.js`) exec's its last command with `"$@"`, so the
app is still PID 1 and gets the arguments, as Heroku-style Procfiles expect.
Any other compound script (`||`, pipes, subshells, background jobs) has no
single app to hand the arguments to: they are available to it as `"$@"`
(write `node b.js "$@"` to forward them) but are not forwarded automatically. A trailing `#`
comment is dropped from a one-command script, so it cannot swallow `"$@"`.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping

from builder.errors import BuildError
from builder.lifecycle.contract import WORKSPACE, Process

SHELL = "/bin/sh"
ARGV0 = "sh"  # $0 of a shell-form process; the run arguments follow it as $1…
_CONTROL = re.compile(r"&&|\|\||[;&|\n`]|\$\(|\(|\)")     # more than one command, or a subshell
_EXPANDS = re.compile(r"[$*?\[\]~<>{}]")                # needs the shell, but is still one command
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_WORD = re.compile(r"""(?:[^\s'"\\]|\\.|'[^']*'|"(?:[^"\\]|\\.)*")+""", re.DOTALL)


def command_argv(command: str, *, aliases: Mapping[str, str] | None = None) -> list[str]:
    """The argv that runs `command` with the app as PID 1 and the container's arguments passed on.

    `aliases` maps an exec-form program name to the path to run instead
    (e.g. {"node": "/layers/nodejs/node/bin/node"}, so the process does not
    depend on PATH). Raises BuildError for an empty command.
    """
    command = _drop_comment(command.strip())
    if not command:
        raise BuildError("the start command is empty", "put a command after 'web:' in the Procfile")
    sequence = _split_sequence(command) if _CONTROL.search(command) else ([], command)
    if sequence is None:
        return [SHELL, "-c", command, ARGV0]
    head, last = sequence
    if head:
        if last.split(None, 1)[0] == "exec":  # already exec'd as written: leave it so
            exec_last = last
        else:
            tail = command_argv(last)
            exec_last = tail[2] if tail[:2] == [SHELL, "-c"] else f'exec {shlex.join(tail)} "$@"'
        joined = "".join(part + ("; " if sep == ";" else " && ") for part, sep in head)
        return [SHELL, "-c", joined + exec_last, ARGV0]
    try:
        words = shlex.split(command)
    except ValueError:  # unbalanced quotes: let the shell report it at start
        return [SHELL, "-c", command, ARGV0]
    if words[0] == "exec" and len(words) > 1:  # `exec node x`: the same process, exec'd by us
        return command_argv(_after_words(command, 1), aliases=aliases)
    assignments = 0
    while assignments < len(words) and _ASSIGNMENT.match(words[assignments]):
        assignments += 1
    if assignments == 0 and not _EXPANDS.search(command):
        return [(aliases or {}).get(words[0], words[0]), *words[1:]]
    if assignments == len(words):  # only assignments: nothing to exec
        return [SHELL, "-c", command, ARGV0]
    rest = _after_words(command, assignments)
    prefix = command[: len(command) - len(rest)].strip()
    forward = "" if "$@" in rest or "$*" in rest else ' "$@"'  # the command passes them on itself
    return [SHELL, "-c", f"{prefix} exec {rest}{forward}".strip(), ARGV0]


def _split_sequence(command: str) -> tuple[list[tuple[str, str]], str] | None:
    """`a && b ; c` as ([("a", "&&"), ("b", ";")], "c") when the script is only simple commands joined by
    `&&` or `;` (outside quotes), so that its last command can be exec'd; else None."""
    parts: list[tuple[str, str]] = []
    start, i, quote = 0, 0, ""
    while i < len(command):
        ch = command[i]
        if quote:
            if ch == "\\" and quote == '"':
                i += 2
                continue
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "\\":
            i += 2
            continue
        elif command.startswith("&&", i) or ch == ";":
            sep = "&&" if ch == "&" else ";"
            parts.append((command[start:i].strip(), sep))
            i += len(sep)
            start = i
            continue
        elif ch in "|&()`\n" or command.startswith("$(", i):
            return None
        i += 1
    last = command[start:].strip()
    if quote or not last or any(not part for part, _ in parts):
        return None
    return parts, last


def make_processes(commands: Mapping[str, str], *, default: str = "web",
                   aliases: Mapping[str, str] | None = None, working_dir: str = WORKSPACE) -> list[Process]:
    """A Process per `commands` entry (type -> command text), in order.

    The default process is `default` when present, else the first entry (as
    Heroku and the CNB Procfile buildpack do); [] for no commands.
    """
    if not commands:
        return []
    chosen = default if default in commands else next(iter(commands))
    return [Process(kind, tuple(command_argv(text, aliases=aliases)), default=kind == chosen, working_dir=working_dir)
            for kind, text in commands.items()]


def _words(command: str) -> list[re.Match[str]]:
    return list(_WORD.finditer(command))


def _drop_comment(command: str) -> str:
    """`command` without a trailing `# comment` (a word starting with `#`, as the shell reads it).

    Only for one-line text: a comment ends at the line's end, and a multi-line
    script stays as written."""
    if "\n" in command:
        return command
    for word in _words(command):
        if word.group().startswith("#"):
            return command[: word.start()].rstrip()
    return command


def _after_words(command: str, count: int) -> str:
    """The text of `command` after its first `count` shell words, quoting and expansions untouched."""
    words = _words(command)
    return command[words[count].start():].strip() if count < len(words) else ""
