"""Lockfiles as pip requirements with hashes: what dockless installs for uv, Poetry and Pipenv apps.

Rather than installing Poetry, Pipenv or uv (and their dependency trees) into
every build, each lock is exported here, as `poetry export`, `pipenv
requirements --hash` and `uv export --frozen --no-dev` would, to lines

    name==version ; marker --hash=sha256:… --hash=sha256:…

that pip installs with `--require-hashes --no-deps` (the lock is complete, so
pip resolves nothing; every file is checked against the lock's hashes). Only
what the app runs with is exported:

    poetry.lock    packages of the main group: Poetry 2's `groups`, Poetry ≤1.4's `category`,
                   else reached from [tool.poetry.dependencies] through the packages' dependencies
    Pipfile.lock   its "default" section (not "develop")
    uv.lock        reached from the root project's `dependencies` (and the extras they ask for),
                   never its dev-dependencies / dependency-groups

A locked package without a hash, or from a VCS or a URL, is BuildError: it
cannot be verified, and the message says what to change. A locked directory of
the app's own tree (uv `editable`/`directory` sources, workspace members
included; Poetry `directory`/`file` sources; a Pipfile.lock `path` entry) is
the app's own code: it is not exported but returned in `Export.local`
(app-relative paths, see `local`) for the project layer, and its locked
dependencies are exported as usual. One that leaves the tree is SourceError
(exit 3). A lock whose entries are not of the shapes its tool writes (a `name`
that is not a string, a package that is not a table) is UsageError (exit 2)
naming the file and the entry.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from builder.errors import BuildError, UsageError
from detectors.python import normalize, read_pipfile_lock, read_toml

from .local import local_dir


@dataclass(frozen=True)
class Export:
    """A lock as pip input: `requirements` (hashed lines, `render`'s text) and `local`, the app-relative
    directories of the app's own tree it installs ("." for the app itself), in the lock's order."""

    requirements: str
    local: tuple[str, ...] = ()


@dataclass
class Pin:
    """One exported requirement: a name, an exact version, its hashes, and the markers under which it is needed."""

    name: str
    version: str
    hashes: list[str]
    markers: list[str | None] = field(default_factory=list)  # None: needed unconditionally

    def line(self) -> str:
        marker = ""
        if self.markers and None not in self.markers:
            unique = sorted({m for m in self.markers if m})
            marker = " ; " + (unique[0] if len(unique) == 1 else " or ".join(f"({m})" for m in unique))
        hashes = " ".join(f"--hash={h}" for h in sorted(set(self.hashes)))
        return f"{self.name}=={self.version}{marker} {hashes}"


def render(pins: Iterable[Pin]) -> str:
    return "".join(pin.line() + "\n" for pin in sorted(pins, key=lambda p: (normalize(p.name), p.version)))


def _need_hashes(pin: Pin, lock: str, hint: str) -> Pin:
    if not pin.hashes:
        raise BuildError(f"{lock} has no hash for {pin.name} {pin.version}, so it cannot be verified", hint)
    return pin


def packages_of(lock: Mapping[str, Any], file: str, hint: str) -> list[dict[str, Any]]:
    """The `[[package]]` tables of a TOML lock, each with a string `name` and `version`; UsageError (exit 2)
    naming `file` and the entry otherwise (a hand-edited or merge-damaged lock)."""
    packages = lock.get("package", [])
    if not isinstance(packages, list):
        raise UsageError(f"{file}: 'package' is not a list of tables", hint)
    for number, package in enumerate(packages, 1):
        if not isinstance(package, dict):
            raise UsageError(f"{file}: package entry {number} is not a table", hint)
        name, version = package.get("name"), package.get("version")
        if not isinstance(name, str) or not name:
            raise UsageError(f"{file}: package entry {number} has name = {name!r}, not a package name", hint)
        if "version" in package and not isinstance(version, str):
            raise UsageError(f"{file}: package entry {number} ({name}) has version = {version!r}, not a string",
                             hint)
    return packages


def poetry_requirements(app: Path) -> Export:
    """poetry.lock's main group as hashed requirements, its `directory`/`file` sources as local paths."""
    lock = read_toml(app / "poetry.lock") or {}
    pyproject = read_toml(app / "pyproject.toml") or {}
    hint = "run `poetry lock` with Poetry 1.2 or later and commit poetry.lock"
    packages = packages_of(lock, "poetry.lock", hint)
    old_files = lock.get("metadata", {}).get("files", {})
    by_name = {normalize(p["name"]): p for p in packages}
    local: list[str] = []

    def pin(package: dict[str, Any], marker: str | None) -> Pin | None:
        files = package.get("files") or old_files.get(package["name"], [])
        source = package.get("source", {}) if isinstance(package.get("source"), dict) else {}
        if source.get("type") in ("directory", "file") and isinstance(source.get("url"), str):
            local.append(local_dir(app, source["url"], f"poetry.lock ({package['name']})"))
            return None
        if source.get("type") in ("git", "url"):
            raise BuildError(f"poetry.lock takes {package['name']} from a {source['type']} source, "
                             "which dockless cannot verify", "publish it to an index and lock that")
        hashes = [f["hash"] for f in files if isinstance(f, dict) and str(f.get("hash", "")).startswith("sha256:")]
        return _need_hashes(Pin(package["name"], str(package.get("version")), hashes, [marker]), "poetry.lock", hint)

    def marker_of(package: dict[str, Any]) -> str | None:
        markers = package.get("markers")
        if isinstance(markers, dict):
            markers = markers.get("main")
        return markers if isinstance(markers, str) and markers else None

    if any("groups" in p or "category" in p for p in packages):
        chosen = [p for p in packages if "main" in p.get("groups", []) or p.get("category") == "main"]
        pins = [pin(p, marker_of(p)) for p in chosen]
        return Export(render(p for p in pins if p), tuple(dict.fromkeys(local)))
    roots = [n for n in pyproject.get("tool", {}).get("poetry", {}).get("dependencies", {}) if n != "python"]
    roots += [str(d).split(";")[0].split("[")[0].split("(")[0].strip()
              for d in pyproject.get("project", {}).get("dependencies", [])]
    seen: dict[str, Pin | None] = {}
    todo = [normalize(r.split(">")[0].split("=")[0].split("<")[0].strip()) for r in roots]
    while todo:
        name = todo.pop()
        if name in seen or name not in by_name:
            continue
        package = by_name[name]
        seen[name] = pin(package, None)
        todo += [normalize(d) for d in package.get("dependencies", {})]
    return Export(render(p for p in seen.values() if p), tuple(dict.fromkeys(local)))


def pipenv_requirements(app: Path) -> Export:
    """Pipfile.lock's "default" section as hashed requirements, its `path` entries as local paths."""
    lock = read_pipfile_lock(app / "Pipfile.lock") or {}
    pins = []
    local: list[str] = []
    default = lock.get("default") or {}
    if not isinstance(default, dict):
        raise UsageError("Pipfile.lock: \"default\" is not an object", "regenerate it with `pipenv lock`")
    for name, entry in sorted(default.items()):
        if isinstance(entry, dict) and isinstance(entry.get("path"), str) and "version" not in entry:
            local.append(local_dir(app, entry["path"], f"Pipfile.lock ({name})"))
            continue
        if not isinstance(entry, dict) or not str(entry.get("version", "")).startswith("=="):
            raise BuildError(f"Pipfile.lock takes {name} from a VCS, a path or a URL, which dockless cannot verify",
                             "publish it to an index and run `pipenv lock`")
        marker = entry.get("markers")
        pins.append(_need_hashes(Pin(name, entry["version"][2:], list(entry.get("hashes", [])),
                                     [marker if isinstance(marker, str) else None]),
                                 "Pipfile.lock", "run `pipenv lock` and commit Pipfile.lock"))
    return Export(render(pins), tuple(local))


def uv_requirements(app: Path) -> Export:
    """uv.lock's runtime dependencies of the root project as hashed requirements (what `uv export
    --frozen --no-dev --no-emit-project` writes); the `editable`/`directory` packages it reaches (path
    sources, workspace members) as local paths, their own dependencies exported."""
    lock = read_toml(app / "uv.lock") or {}
    packages = packages_of(lock, "uv.lock", "run `uv lock` and commit uv.lock")
    roots = [p for p in packages if set(p.get("source", {})) & {"editable", "virtual"}
             and p["source"].get("editable", p["source"].get("virtual")) == "."]
    if not roots:
        raise BuildError("uv.lock has no root project (a package with source editable or virtual '.')",
                         "run `uv lock` in the project directory and commit uv.lock")
    by_name: dict[str, list[dict[str, Any]]] = {}
    for package in packages:
        by_name.setdefault(normalize(package["name"]), []).append(package)
    pins: dict[tuple[str, str], Pin] = {}
    local: list[str] = []
    visited: set[tuple[str, str, str, str | None]] = set()
    todo: list[tuple[Mapping[str, Any], str | None]] = [(d, None) for d in roots[0].get("dependencies", [])]
    while todo:
        dep, inherited = todo.pop()
        name = normalize(dep["name"])
        marker = _and(inherited, dep.get("marker"))
        for package in by_name.get(name, []):
            if "version" in dep and dep["version"] != package.get("version"):
                continue
            extras = tuple(sorted(dep.get("extra", [])))
            key = (name, str(package.get("version")), ",".join(extras), marker)
            if key in visited:
                continue
            visited.add(key)
            source = package.get("source", {}) if isinstance(package.get("source"), dict) else {}
            path = source.get("editable", source.get("directory", source.get("virtual")))
            if "registry" not in source and isinstance(path, str):
                if "virtual" not in source:  # virtual: a project that is not a package, nothing to install
                    local.append(local_dir(app, path, f"uv.lock ({package['name']})"))
                todo += [(d, marker) for d in package.get("dependencies", [])]
                for extra in extras:
                    todo += [(d, marker) for d in package.get("optional-dependencies", {}).get(extra, [])]
                continue
            if "registry" not in source:
                raise BuildError(f"uv.lock takes {package['name']} from {', '.join(source) or 'no source'}, "
                                 "not from an index, which dockless cannot verify",
                                 "publish it to an index and run `uv lock`")
            files = [package.get("sdist") or {}, *package.get("wheels", [])]
            hashes = [f["hash"] for f in files if str(f.get("hash", "")).startswith("sha256:")]
            pin = pins.setdefault((name, package["version"]), Pin(package["name"], package["version"], hashes))
            pin.markers.append(marker)
            _need_hashes(pin, "uv.lock", "run `uv lock` and commit uv.lock")
            todo += [(d, marker) for d in package.get("dependencies", [])]
            for extra in extras:
                todo += [(d, marker) for d in package.get("optional-dependencies", {}).get(extra, [])]
    return Export(render(pins.values()), tuple(dict.fromkeys(local)))


def _and(a: str | None, b: str | None) -> str | None:
    if a and b:
        return f"({a}) and ({b})"
    return a or b or None


EXPORTERS = {"poetry": poetry_requirements, "pipenv": pipenv_requirements, "uv": uv_requirements}
