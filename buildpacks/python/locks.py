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

A locked package without a hash, from a VCS or a local path, is BuildError:
it cannot be verified, and the message says what to change.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from builder.errors import BuildError
from detectors.python import normalize, read_pipfile_lock, read_toml


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


def poetry_requirements(app: Path) -> str:
    """poetry.lock's main group as hashed requirements."""
    lock = read_toml(app / "poetry.lock") or {}
    pyproject = read_toml(app / "pyproject.toml") or {}
    packages = [p for p in lock.get("package", []) if isinstance(p, dict)]
    old_files = lock.get("metadata", {}).get("files", {})
    by_name = {normalize(p["name"]): p for p in packages}
    hint = "run `poetry lock` with Poetry 1.2 or later and commit poetry.lock"

    def pin(package: dict[str, Any], marker: str | None) -> Pin:
        files = package.get("files") or old_files.get(package["name"], [])
        source = package.get("source", {})
        if source.get("type") in ("git", "directory", "file", "url"):
            raise BuildError(f"poetry.lock takes {package['name']} from a {source['type']} source, "
                             "which dockless cannot verify", "publish it to an index and lock that")
        hashes = [f["hash"] for f in files if isinstance(f, dict) and str(f.get("hash", "")).startswith("sha256:")]
        return _need_hashes(Pin(package["name"], package["version"], hashes, [marker]), "poetry.lock", hint)

    def marker_of(package: dict[str, Any]) -> str | None:
        markers = package.get("markers")
        if isinstance(markers, dict):
            markers = markers.get("main")
        return markers if isinstance(markers, str) and markers else None

    if any("groups" in p or "category" in p for p in packages):
        chosen = [p for p in packages if "main" in p.get("groups", []) or p.get("category") == "main"]
        return render(pin(p, marker_of(p)) for p in chosen)
    roots = [n for n in pyproject.get("tool", {}).get("poetry", {}).get("dependencies", {}) if n != "python"]
    roots += [str(d).split(";")[0].split("[")[0].split("(")[0].strip()
              for d in pyproject.get("project", {}).get("dependencies", [])]
    seen: dict[str, Pin] = {}
    todo = [normalize(r.split(">")[0].split("=")[0].split("<")[0].strip()) for r in roots]
    while todo:
        name = todo.pop()
        if name in seen or name not in by_name:
            continue
        package = by_name[name]
        seen[name] = pin(package, None)
        todo += [normalize(d) for d in package.get("dependencies", {})]
    return render(seen.values())


def pipenv_requirements(app: Path) -> str:
    """Pipfile.lock's "default" section as hashed requirements."""
    lock = read_pipfile_lock(app / "Pipfile.lock") or {}
    pins = []
    for name, entry in sorted((lock.get("default") or {}).items()):
        if not isinstance(entry, dict) or not str(entry.get("version", "")).startswith("=="):
            raise BuildError(f"Pipfile.lock takes {name} from a VCS, a path or a URL, which dockless cannot verify",
                             "publish it to an index and run `pipenv lock`")
        marker = entry.get("markers")
        pins.append(_need_hashes(Pin(name, entry["version"][2:], list(entry.get("hashes", [])),
                                     [marker if isinstance(marker, str) else None]),
                                 "Pipfile.lock", "run `pipenv lock` and commit Pipfile.lock"))
    return render(pins)


def uv_requirements(app: Path) -> str:
    """uv.lock's runtime dependencies of the root project as hashed requirements (what `uv export
    --frozen --no-dev --no-emit-project` writes)."""
    lock = read_toml(app / "uv.lock") or {}
    packages = [p for p in lock.get("package", []) if isinstance(p, dict)]
    roots = [p for p in packages if set(p.get("source", {})) & {"editable", "virtual"}
             and p["source"].get("editable", p["source"].get("virtual")) == "."]
    if not roots:
        raise BuildError("uv.lock has no root project (a package with source editable or virtual '.')",
                         "run `uv lock` in the project directory and commit uv.lock")
    by_name: dict[str, list[dict[str, Any]]] = {}
    for package in packages:
        by_name.setdefault(normalize(package["name"]), []).append(package)
    pins: dict[tuple[str, str], Pin] = {}
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
            source = package.get("source", {})
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
    return render(pins.values())


def _and(a: str | None, b: str | None) -> str | None:
    if a and b:
        return f"({a}) and ({b})"
    return a or b or None


EXPORTERS = {"poetry": poetry_requirements, "pipenv": pipenv_requirements, "uv": uv_requirements}
