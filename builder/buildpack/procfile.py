"""Heroku's Procfile: one `type: command` per line, the process types of an app.

Rules (Heroku's "The Procfile" reference, as the Heroku and Paketo buildpacks
read it): a type is letters, digits, `_` and `-`; blank lines and `#` comments
are skipped; a later line for the same type wins. Files written on Windows are
common, so a UTF-8 byte order mark and CRLF (or lone CR) line ends are
accepted; bytes that are not UTF-8 are replaced rather than failing the build.
"""

from __future__ import annotations

import re
from pathlib import Path

PROCFILE = "Procfile"
_LINE = re.compile(r"^([A-Za-z0-9_-]+)\s*:\s*(.*?)\s*$")


def parse_procfile(text: str) -> dict[str, str]:
    """The process types in Procfile `text` ({"web": "node server.js"}), in file order.

    Lines that do not parse (no `type:`, an empty command) are skipped.
    """
    processes: dict[str, str] = {}
    for line in text.removeprefix("\ufeff").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = _LINE.match(line)
        if match and match.group(2):
            processes[match.group(1)] = match.group(2)  # a later line wins, in the first one's place
    return processes


def read_procfile(workspace: Path) -> dict[str, str]:
    """The process types of `workspace/Procfile`; {} when there is none (or it is a directory)."""
    try:
        data = (workspace / PROCFILE).read_bytes()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return {}
    return parse_procfile(data.decode("utf-8-sig", errors="replace"))
