"""What to install and what decides its reuse: the dependencies (the venv layer) and the app's own package.

    Install(requirements, inputs, project)

`requirements` are pip's arguments for the dependencies (None: nothing),
`inputs` the sha256 of what decides them (the venv layer's cache key), and
`project` whether the app's own package is installed too, into a layer of its
own, so that a code change rebuilds only that small layer:

    pip       -r requirements.txt                      key: requirements.txt and the files it includes (-r, -c)
    uv/poetry/pipenv
              the lock exported with hashes (`locks`)   key: the lock (+ pyproject.toml)
    project   [project].dependencies (static, PEP 621)  key: those dependencies and requires-python
    project   dynamic dependencies, setup.py            `.` itself into the venv; key: the whole source
    none      nothing

`project` is true when the app declares console scripts ([project.scripts],
[tool.poetry.scripts]) and is a package (a [build-system], Poetry's
package-mode not false, uv's tool.uv.package not false): its scripts are how
it starts, so it must be installed; an app started from its files
(`python main.py`, `gunicorn app:app`) runs from /workspace as it is.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from detectors.python import project_scripts, read_toml, requirements_files

from .locks import EXPORTERS

SKIPPED = frozenset({".git", ".venv", "venv", "__pycache__"})  # never part of the source's digest


@dataclass(frozen=True)
class Install:
    requirements: tuple[str, ...] | None
    inputs: str
    project: bool


def _digest(*parts: bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except (FileNotFoundError, IsADirectoryError):
        return b""


def source_digest(app: Path) -> str:
    """sha256 over every file's relative path and content (SKIPPED directories left out)."""
    files = sorted(p for p in app.rglob("*") if p.is_file() and not SKIPPED & set(p.relative_to(app).parts))
    return _digest(*(str(p.relative_to(app)).encode() + b"\0" + p.read_bytes() for p in files))


def is_package(pyproject: Mapping[str, Any]) -> bool:
    tool = pyproject.get("tool", {})
    if tool.get("poetry", {}).get("package-mode") is False or tool.get("uv", {}).get("package") is False:
        return False
    return "build-system" in pyproject or "poetry" in tool


def plan(app: Path, installer: str, home: Path, home_target: str) -> Install:
    """The install for `installer`; an exported lock or dependency list is written to `home/requirements.txt`
    (seen by pip as `home_target/requirements.txt`). Raises BuildError for a lock that cannot be verified."""
    pyproject = read_toml(app / "pyproject.toml") or {}
    project = bool(project_scripts(pyproject)) and is_package(pyproject)
    exported = f"{home_target}/requirements.txt"
    if installer == "pip":
        files = requirements_files(app / "requirements.txt", constraints=True)  # `-r base.txt`, `-c constraints.txt`
        return Install(("-r", "requirements.txt"),
                       _digest(*(str(f.relative_to(app.resolve())).encode() + b"\0" + f.read_bytes() for f in files
                                 if f.is_relative_to(app.resolve()))), project)
    if installer in EXPORTERS:
        (home / "requirements.txt").write_text(EXPORTERS[installer](app), encoding="utf-8")
        lock = {"uv": "uv.lock", "poetry": "poetry.lock", "pipenv": "Pipfile.lock"}[installer]
        return Install(("--require-hashes", "--no-deps", "-r", exported),
                       _digest(_read(app / lock), _read(home / "requirements.txt")), project)
    if installer == "project":
        table = pyproject.get("project", {})
        if isinstance(table, dict) and "name" in table and "dependencies" not in table.get("dynamic", []):
            deps = [str(d) for d in table.get("dependencies", [])]
            (home / "requirements.txt").write_text("".join(d + "\n" for d in deps), encoding="utf-8")
            key = json.dumps([deps, table.get("requires-python", "")]).encode()
            return Install(("-r", exported), _digest(key), bool(project_scripts(pyproject)))
        return Install((".",), source_digest(app), False)
    return Install(None, _digest(b"none"), False)
