"""npm command scripts (`next start`, `serve -s build`) run by node itself, since the run image has no env.

An npm package's command (`bin`) is linked into node_modules/.bin, and the file
it links to usually starts with `#!/usr/bin/env node`. The run image is a
minimal Debian (dash, libc, no coreutils): there is no /usr/bin/env, so the
kernel cannot exec such a script and the launch check refuses it. node can run
it directly: `node /workspace/node_modules/.bin/next start` loads the link's
real path as its main module (Node resolves symlinks of the main module), so
the script's relative requires work as under npm.

    next start -p $PORT        -> node /workspace/node_modules/.bin/next start -p $PORT
    PORT=3000 exec serve -s x  -> PORT=3000 exec node /workspace/node_modules/.bin/serve -s x
    node a.js && nuxt start    -> node a.js && node /workspace/node_modules/.bin/nuxt start

A word is rewritten only in command position (the first word of a simple
command, after leading VAR=x assignments, `exec`, `{` or `!`) and only when
it is a bare name of a node_modules/.bin entry whose file starts with
`#!/usr/bin/env node` (or `#!/usr/bin/env -S node --flags`: the flags go
before the script). Anything else is left to the generic launch check.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator, Mapping
from pathlib import Path

from builder.lifecycle.contract import WORKSPACE

BIN_DIR = f"{WORKSPACE}/node_modules/.bin"
_WORD = re.compile(r"""(?:[^\s'"\\;&|()`]|\\.|'[^']*'|"(?:[^"\\]|\\.)*")+""", re.DOTALL)
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_NAME = re.compile(r"^[A-Za-z0-9@._+-]+$")
_SKIP = frozenset({"exec", "{", "!"})
_ENV_NODE = re.compile(r"^#!\s*/usr/bin/env\s+(?:-S\s+)?node((?:\s+-\S+)*)\s*$")


def node_flags(script: Path) -> str | None:
    """The node flags of a `#!/usr/bin/env [-S] node [FLAGS]` script ("" for none), None for any other file."""
    try:
        with script.open("rb") as f:
            first = f.readline(512)
    except OSError:
        return None
    match = _ENV_NODE.match(first.decode("utf-8", "replace").rstrip("\r\n"))
    return None if match is None else " ".join(match.group(1).split())


def _segments(command: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each simple command of `command`, split at the shell's control operators
    (outside quotes): && || ; | & newline ( ) ` $(."""
    start = i = 0
    quote = ""
    while i < len(command):
        c = command[i]
        if quote:
            if c == "\\" and quote == '"':
                i += 2
                continue
            if c == quote:
                quote = ""
        elif c == "\\":
            i += 2
            continue
        elif c in "'\"":
            quote = c
        elif c in ";&|\n()`":
            yield start, i
            start = i + 1
        i += 1
    yield start, len(command)


def rewrite(command: str, bins: Path | None) -> tuple[str, list[str]]:
    """`command` with each env-node command of `bins` (host path of node_modules/.bin) run by node; and
    the names rewritten."""
    if bins is None or not bins.is_dir():
        return command, []
    edits: list[tuple[int, int, str]] = []
    names: list[str] = []
    for start, end in _segments(command):
        for word in _WORD.finditer(command, start, end):
            text = word.group()
            if _ASSIGNMENT.match(text) or text in _SKIP:
                continue
            flags = node_flags(bins / text) if _NAME.match(text) and (bins / text).is_file() else None
            if flags is not None:
                edits.append((word.start(), word.end(),
                              " ".join(filter(None, ("node", flags, shlex.quote(f"{BIN_DIR}/{text}"))))))
                names.append(text)
            break
    for start, end, text in reversed(edits):
        command = command[:start] + text + command[end:]
    return command, names


def rewrite_all(procfile: Mapping[str, str], start: str, bins: Path | None) -> tuple[dict[str, str], str, list[str]]:
    """`rewrite` on every Procfile process and the start command; (procfile, start, log notes)."""
    notes: list[str] = []

    def one(kind: str, text: str) -> str:
        new, names = rewrite(text, bins)
        if names:
            notes.append(f"process '{kind}': {', '.join(names)} run by node (node_modules/.bin scripts for "
                         f"'/usr/bin/env node'; the image has no env): {new}")
        return new

    procfile = {kind: one(kind, text) for kind, text in procfile.items()}
    if start and "web" not in procfile:
        start = one("web", start)
    return procfile, start, notes
