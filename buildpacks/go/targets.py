"""Which main packages to build, and what each binary is called.

    find_targets(app_dir, env, module) -> [Target("./cmd/api", "api"), …]   first one is the `web` process

The order, as Paketo's Go buildpack reads BP_GO_TARGETS and as Heroku's finds
a lone command:

    BP_GO_TARGETS   "./cmd/a:./cmd/b" (colon-separated package directories, relative to the app)
    the root        a `package main` at the app's root
    cmd/*           the single cmd/<name> directory holding a `package main`

Several cmd/* mains and no BP_GO_TARGETS is a BuildError listing them; a
BP_GO_TARGETS entry that is not a main package directory is a UsageError (exit 2).
A binary is named after its directory (the module path's last element for the
root, "app" without a module path), as `go build` and `go install` name it:
a major-version suffix is not a name, so `github.com/acme/shop/v2` (and a
directory `./cmd/api/v2`) gives `shop` (`api`), as the go command's
DefaultExecName does (a `gopkg.in/yaml.v3` style `.vN` stays).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import re

from builder.errors import BuildError, UsageError
from detectors.go import main_package


@dataclass(frozen=True)
class Target:
    """One main package: its `go build` argument ("." or "./cmd/api") and its binary's name."""

    package: str
    name: str


def find_targets(app: Path, env: Mapping[str, str], module: str) -> list[Target]:
    """The main packages to build (see the module docstring), at least one."""
    listed = [t.strip() for t in env.get("BP_GO_TARGETS", "").split(":") if t.strip()]
    if listed:
        return _named([_listed(app, entry) for entry in listed], module)
    if main_package(app):
        return _named(["."], module)
    commands = sorted(d.name for d in (app / "cmd").glob("*") if d.is_dir() and main_package(d))
    if len(commands) == 1:
        return _named([f"./cmd/{commands[0]}"], module)
    if commands:
        raise BuildError(f"found {len(commands)} main packages ({', '.join(f'cmd/{c}' for c in commands)}) "
                         "and no BP_GO_TARGETS to choose", "build with --env BP_GO_TARGETS=./cmd/"
                         f"{commands[0]}:./cmd/{commands[1]} (the first one is the web process)")
    raise BuildError("no main package to build: none at the root and none in cmd/*",
                     "put `package main` at the root or in cmd/<name>/, or set BP_GO_TARGETS")


def _listed(app: Path, entry: str) -> str:
    """A BP_GO_TARGETS entry as a `./dir` package path; UsageError unless it is a main package in the app."""
    path = PurePosixPath(entry)
    if path.is_absolute() or ".." in path.parts:
        raise UsageError(f"BP_GO_TARGETS entry '{entry}' must be a directory inside the app",
                         "write package directories relative to the app, e.g. ./cmd/api:./cmd/worker")
    if not main_package(app.joinpath(*path.parts)):
        raise UsageError(f"BP_GO_TARGETS entry '{entry}' is not a directory with a `package main`",
                         "list main package directories, e.g. ./cmd/api:./cmd/worker")
    return "./" + "/".join(path.parts) if path.parts else "."


_MAJOR = re.compile(r"^v[2-9][0-9]*$|^v[1-9][0-9]+$")  # a /vN major-version suffix (N >= 2)


def exec_name(path: str) -> str:
    """The last element of an import path, or the one before a `/vN` major-version suffix
    ("github.com/acme/shop/v2" -> "shop"), as the go command names binaries; "" for an empty path."""
    parts = [p for p in path.split("/") if p]
    if len(parts) > 1 and _MAJOR.match(parts[-1]):
        parts.pop()
    return parts[-1] if parts else ""


def _named(packages: list[str], module: str) -> list[Target]:
    targets: list[Target] = []
    for package in packages:
        base = exec_name(package.removeprefix("./")) if package not in (".", "./") else ""
        name = base or exec_name(module) or "app"
        name = "".join(c if c.isalnum() or c in "._-" else "-" for c in name).lstrip(".") or "app"
        while name in {t.name for t in targets}:
            name += "-2"
        if package not in {t.package for t in targets}:
            targets.append(Target(package, name))
    return targets
