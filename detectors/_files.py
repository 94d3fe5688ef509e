"""Reading the small files detectors look at, with bad input turned into one clear UsageError.

Shared by detectors and the buildpacks that pair with them, so that a file the
detector accepted is read the same way at build time.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from builder.buildpack.procfile import read_procfile
from builder.errors import UsageError

__all__ = ["first_value_line", "read_json_object", "read_procfile"]  # read_procfile: builder.buildpack.procfile's


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
    after a comment or a blank line, and sometimes after a UTF-8 byte order mark
    (Windows editors write one), which is not part of the value.
    """
    try:
        text = path.read_text(encoding="utf-8-sig", errors="replace")
    except (FileNotFoundError, IsADirectoryError):
        return None
    for line in text.splitlines():
        value = line.split("#", 1)[0].strip()
        if value:
            return value
    return None
