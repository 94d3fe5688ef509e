"""Reading the small files detectors look at, with bad input turned into one clear UsageError.

Shared by detectors and the buildpacks that pair with them, so that a file the
detector accepted is read the same way at build time.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from builder.errors import UsageError

_PROCFILE_LINE = re.compile(r"^([A-Za-z0-9_-]+)\s*:\s*(.*?)\s*$")


def read_json_object(path: Path) -> dict[str, Any] | None:
    """The JSON object in `path`, None when the file is absent.

    A syntax error names the line and column, because "invalid package.json"
    alone sends people hunting through the whole file.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return None
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path.name} is not UTF-8 text (byte {exc.start})", f"save {path.name} as UTF-8") from None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{path.name} is not valid JSON: line {exc.lineno} column {exc.colno}: {exc.msg}",
                         f"fix the syntax of {path.name} (a trailing comma or a missing quote is usual)") from None
    if not isinstance(value, dict):
        raise UsageError(f"{path.name} must hold a JSON object, not {type(value).__name__}",
                         f"{path.name} starts with '{{' and lists name, scripts, dependencies…")
    return value


def first_value_line(path: Path) -> str | None:
    """The first line of `path` that is neither blank nor a `#` comment, stripped; None when absent or empty.

    Version files such as `.nvmrc` and `.node-version` hold one value, sometimes
    after a comment or a blank line.
    """
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except (FileNotFoundError, IsADirectoryError):
        return None
    for line in text.splitlines():
        value = line.split("#", 1)[0].strip()
        if value:
            return value
    return None


def read_procfile(workspace: Path) -> dict[str, str]:
    """The process types of the workspace's `Procfile` ({"web": "node server.js"}), in file order.

    Heroku's format: `type: command`, one per line; blank lines and `#` comments
    are skipped, and a later line for the same type wins.
    """
    try:
        text = (workspace / "Procfile").read_text(encoding="utf-8", errors="replace")
    except (FileNotFoundError, IsADirectoryError):
        return {}
    processes: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _PROCFILE_LINE.match(line.strip())
        if match and match.group(2):
            processes[match.group(1)] = match.group(2)
    return processes
