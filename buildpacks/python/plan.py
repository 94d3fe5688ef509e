"""What to install and what decides its reuse: the dependencies (the venv layer) and the app's own package.

    Install(requirements, inputs, project, local)

`requirements` are pip's arguments for the dependencies (None: nothing),
`inputs` the sha256 of what decides them (the venv layer's cache key),
`project` whether the app's own package is installed too, and `local` the
app-relative directories of the app's own code that are dependencies (`.`,
`./libs/mylib`; see `local`). The project and `local` go into a layer of their
own, made on every build, so that a code change rebuilds only that small layer
and never runs a stale copy (trial bug 5):

    pip       -r requirements.txt                      key: requirements.txt and the files it includes (-r, -c),
                                                            and each local path's metadata (pyproject.toml,
                                                            setup.py, setup.cfg, requirements*.txt; an archive's bytes)
    uv/poetry/pipenv
              the lock exported with hashes (`locks`)   key: the lock (+ pyproject.toml)
    project   [project].dependencies (static, PEP 621)  key: those dependencies, requires-python, [tool.uv.sources]
                                                            paths' metadata
    project   dynamic dependencies, setup.py            `.` into the venv for its dependencies; key: the whole
                                                            source (a backend may read any file for them)
    none      nothing

With pip, a local path is installed into the venv too (pip learns its
dependencies only by building it) and removed from it again (`build`), so the
venv keeps only the dependencies; a lock already lists those, so a lock's local
paths are left out of the venv install. `[tool.uv.sources]` is read for the pip
and project installers (`local.uv_source_paths`): a workspace member is exit 3,
and a path source is installed from its path, never by its name from an index.

`project` is true when the app declares console scripts ([project.scripts],
[tool.poetry.scripts]) and is a package (a [build-system], Poetry's
package-mode not false, uv's tool.uv.package not false): its scripts are how
it starts, so it must be installed; an app started from its files
(`python main.py`, `gunicorn app:app`) runs from /workspace as it is.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from builder.errors import SourceError
from detectors.python import normalize, project_scripts, read_toml, requirements_files

from .local import local_dir, requirement_path, uv_source_paths
from .locks import EXPORTERS

SKIPPED = frozenset({".git", ".venv", "venv", "__pycache__"})  # never part of the source's digest


@dataclass(frozen=True)
class Install:
    requirements: tuple[str, ...] | None
    inputs: str
    project: bool
    local: tuple[str, ...] = ()

    def project_paths(self) -> tuple[str, ...]:
        """What the project layer installs: "." for the app's own package, then the local paths, each once."""
        return tuple(dict.fromkeys(((".",) if self.project else ()) + self.local))


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


METADATA = ("pyproject.toml", "setup.py", "setup.cfg")


def metadata_digest(app: Path, local: tuple[str, ...]) -> bytes:
    """What decides the dependencies of the app's local paths: each directory's metadata files (METADATA and
    requirements*.txt at its top), or an archive's bytes; the path names each part."""
    parts: list[bytes] = []
    for rel in local:
        path = app / rel
        files = [path] if path.is_file() else sorted(
            [path / name for name in METADATA] + list(path.glob("requirements*.txt")))
        parts += [rel.encode() + b"\0" + str(f.relative_to(app)).encode() + b"\0" + _read(f) for f in files]
    return _digest(*parts).encode()


def requirements_local(app: Path, files: list[Path]) -> tuple[str, ...]:
    """The local paths (app-relative) the requirements files install; SourceError for one outside `app`."""
    found: list[str] = []
    for file in files:
        for line in file.read_text(encoding="utf-8-sig", errors="replace").replace("\\\n", " ").splitlines():
            raw = requirement_path(line)
            if raw is not None:
                found.append(local_dir(app, raw, f"{file.name} ('{line.strip()}')"))
    return tuple(dict.fromkeys(found))


def _name(requirement: str) -> str:
    """The normalised distribution name a PEP 508 requirement starts with ("My_Lib[x]>=1" -> "my-lib")."""
    return normalize(re.split(r"[\s\[<>=!~;@(]", requirement.strip(), maxsplit=1)[0])


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
    if installer in ("pip", "project"):
        sources = uv_source_paths(app, pyproject)  # before any install: a workspace member is exit 3
    if installer == "pip":
        files = requirements_files(app / "requirements.txt", constraints=True)  # `-r base.txt`, `-c constraints.txt`
        outside = [f for f in files if not f.is_relative_to(app.resolve())]
        if outside:
            raise SourceError(f"a --subdir that cannot build alone: requirements.txt includes "
                              f"{os.path.relpath(outside[0], app.resolve())}, outside the app's source tree",
                              "build from the repository root (with a Procfile for this service), or copy that "
                              "file into the app")
        local = requirements_local(app, files)
        return Install(("-r", "requirements.txt"),
                       _digest(*(str(f.relative_to(app.resolve())).encode() + b"\0" + f.read_bytes() for f in files),
                               metadata_digest(app, local)), project, local)
    if installer in EXPORTERS:
        export = EXPORTERS[installer](app)
        (home / "requirements.txt").write_text(export.requirements, encoding="utf-8")
        lock = {"uv": "uv.lock", "poetry": "poetry.lock", "pipenv": "Pipfile.lock"}[installer]
        return Install(("--require-hashes", "--no-deps", "-r", exported) if export.requirements else None,
                       _digest(_read(app / lock), _read(home / "requirements.txt")), project, export.local)
    if installer == "project":
        table = pyproject.get("project", {})
        if isinstance(table, dict) and "name" in table and "dependencies" not in table.get("dynamic", []):
            deps = [str(d) for d in table.get("dependencies", [])]
            paths = {normalize(name): path for name, path in sources.items()}
            lines = [f"./{paths[_name(d)]}" if _name(d) in paths else d for d in deps]  # never by name: bug 2
            local = tuple(dict.fromkeys(paths[_name(d)] for d in deps if _name(d) in paths))
            (home / "requirements.txt").write_text("".join(d + "\n" for d in lines), encoding="utf-8")
            key = json.dumps([deps, table.get("requires-python", ""), sources]).encode()
            return Install(("-r", exported), _digest(key, metadata_digest(app, local)),
                           bool(project_scripts(pyproject)), local)
        return Install((".",), source_digest(app), False, (".",))  # the backend may read any file for them
    return Install(None, _digest(b"none"), False)
