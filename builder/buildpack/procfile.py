"""Heroku's Procfile: one `type: command` per line, the process types of an app.

Rules (Heroku's "The Procfile" reference, as the Heroku and Paketo buildpacks
read it): a type is letters, digits, `_` and `-`; blank lines and `#` comments
are skipped. Files written on Windows are common, so a UTF-8 byte order mark and CRLF (or lone CR) line ends are
accepted; bytes that are not UTF-8 are replaced rather than failing the build.

A type written twice is a UsageError (exit 2) naming both lines. Readers
disagree on it: foreman runs both lines, Scalingo (and Heroku-style maps)
silently keep the last one, and Scalingo's docs ask users never to do it
(Scalingo/documentation#1003: users expected both to run). Any choice would
surprise someone, so the file is refused instead of guessed at.
"""

from __future__ import annotations

import re
from pathlib import Path

from builder.errors import UsageError

PROCFILE = "Procfile"
_LINE = re.compile(r"^([A-Za-z0-9_-]+)\s*:\s*(.*?)\s*$")


def parse_procfile(text: str) -> dict[str, str]:
    """The process types in Procfile `text` ({"web": "node server.js"}), in file order.

    Lines that do not parse (no `type:`, an empty command) are skipped; a type
    written on two lines raises UsageError naming both line numbers.
    """
    processes: dict[str, str] = {}
    lines: dict[str, int] = {}
    for number, line in enumerate(text.removeprefix("\ufeff").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = _LINE.match(line)
        if match and match.group(2):
            kind = match.group(1)
            if kind in lines:
                raise UsageError(f"the Procfile defines the process type '{kind}' twice (lines {lines[kind]} and "
                                 f"{number})", f"keep one '{kind}:' line (to run two commands, give the second "
                                 "its own type, e.g. 'worker:')")
            processes[kind], lines[kind] = match.group(2), number
    return processes


def unparsed_lines(text: str) -> list[tuple[int, str]]:
    """(line number, line) of every line `parse_procfile` skips that is neither blank nor a comment,
    so that a Procfile with no usable line can say which lines were not `type: command`."""
    found = []
    for number, line in enumerate(text.removeprefix("\ufeff").splitlines(), 1):
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            match = _LINE.match(stripped)
            if not (match and match.group(2)):
                found.append((number, stripped))
    return found


def read_procfile_text(workspace: Path) -> str:
    """The text of `workspace/Procfile` ("" when there is none), decoded as read_procfile decodes it."""
    try:
        data = (workspace / PROCFILE).read_bytes()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return ""
    return data.decode("utf-8-sig", errors="replace")


def read_procfile(workspace: Path) -> dict[str, str]:
    """The process types of `workspace/Procfile`; {} when there is none (or it is a directory)."""
    return parse_procfile(read_procfile_text(workspace))
