"""The app's own code named as a dependency: local paths in requirements files, locks and [tool.uv.sources].

A dependency that is a directory of the app's own tree (`.`, `-e .`, `./libs/mylib`,
`file:libs/mylib`, uv's `{ path = "libs/mylib" }`, Poetry's `{ path = …, develop = true }`,
Pipenv's `-e .`) is source code, not a download: it has no hash to check, and it
changes with every commit. So it is never what keys the venv; `build` installs it
(non-editable, `--no-deps`) into the project layer, made on every build, the way uv,
Poetry and Pipenv install a path dependency themselves, and the way the Ruby
buildpack treats a `path:` gem. A path that leaves the app's tree (`../shared`,
`/opt/lib`) is SourceError (exit 3): the build sees only the app's tree, and
installing whatever a build host has there would not be reproducible.

A uv workspace member (`{ workspace = true }`) is resolved by uv from the
workspace root's uv.lock; without that lock it is not on the app's tree at all,
so it is SourceError too, before anything is installed: pip would otherwise
fetch a different package of the same name from the index (trial bug 2).

    local_dir(app, raw, what)         "libs/mylib" (app-relative, posix), or SourceError
    requirement_path(line)            the path a requirements line installs, None for a name/URL line
    uv_source_paths(app, pyproject)   {name: app-relative path} for [tool.uv.sources] path entries
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

from builder.errors import BuildError, SourceError

_EDITABLE = re.compile(r"^(?:-e|--editable)(?:\s+|=)(\S.*)$")
_NAMED = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(?:\[[^\]]*\])?\s*@\s*(\S+)")  # PEP 508 `name @ url`
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_ARCHIVE = (".whl", ".tar.gz", ".zip", ".tar.bz2", ".tgz", ".tar")


def local_dir(app: Path, raw: str, what: str) -> str:
    """`raw` (relative to `app`, or a file: URL) as an app-relative posix path ("." for the app itself).

    Raises SourceError (exit 3) for a path outside `app` (`what` names where it was written), BuildError when
    nothing is there.
    """
    path = raw
    if raw.startswith("file:"):
        parts = urlsplit(raw)
        path = unquote(parts.path if parts.netloc in ("", "localhost") else "//" + parts.netloc + parts.path)
    path = path.split("#", 1)[0].strip()
    root = app.resolve()
    target = (root / path).resolve()
    if not target.is_relative_to(root):
        raise SourceError(f"{what} installs {raw}, which is outside the app's source tree",
                          "move that code into the app's tree (or publish it to an index); a --subdir that cannot "
                          "build alone is built from the repository root")
    if not target.exists():
        raise BuildError(f"{what} installs {raw}, and there is no such path in the app",
                         "commit that directory, or correct the path")
    return PurePosixPath(target.relative_to(root)).as_posix() or "."


def requirement_path(line: str) -> str | None:
    """What a requirements-file line installs from a local path (pip's rule: a line naming a directory or an
    archive by a path or a file: URL, with or without `-e`), None for a name, a URL or an option line."""
    line = line.split(" #", 1)[0].strip()
    editable = _EDITABLE.match(line)
    if editable:
        line = editable.group(1).strip()
    named = _NAMED.match(line)
    if named:
        return named.group(1) if named.group(1).startswith("file:") else None
    if not line or line.startswith(("#", "-")) or _SCHEME.match(line):
        return "file:" + line[len("file:"):] if line.startswith("file:") else None
    line = re.split(r"\s*;\s*|\s+--", line, maxsplit=1)[0].strip()
    if line.startswith(("file:", ".", "/", "~")) or "/" in line.split("[", 1)[0] or line.endswith(_ARCHIVE):
        return line
    return None


def uv_source_paths(app: Path, pyproject: Mapping[str, Any] | None) -> dict[str, str]:
    """[tool.uv.sources] entries that name a path, as {name: app-relative path}.

    Raises SourceError (exit 3) for a `workspace = true` source (a member of a uv workspace whose root is not
    being built) and for a path outside the app. Entries that are not tables, and git/url/index sources, are
    left alone (pip installs what the requirements name).
    """
    tool = (pyproject or {}).get("tool", {})
    sources = tool.get("uv", {}).get("sources", {}) if isinstance(tool, dict) and isinstance(tool.get("uv"), dict) \
        else {}
    found: dict[str, str] = {}
    for name, entry in (sources.items() if isinstance(sources, dict) else ()):
        entries = entry if isinstance(entry, list) else [entry]
        for one in entries:
            if not isinstance(one, dict):
                continue
            if one.get("workspace") is True:
                raise SourceError(f"a --subdir that cannot build alone: '{name}' is a uv workspace member "
                                  "([tool.uv.sources] workspace = true), and this directory has no uv.lock",
                                  "build the workspace root (where uv.lock is), whose project depends on this member "
                                  "(`uv add --package` …) and whose Procfile starts it; dockless never takes a "
                                  "workspace member from an index")
            if isinstance(one.get("path"), str):
                found[str(name)] = local_dir(app, one["path"], f"[tool.uv.sources] {name}")
    return found


__all__ = ["local_dir", "requirement_path", "uv_source_paths"]
