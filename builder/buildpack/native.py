"""Debian packages for well-known native packages of a language: headers at build, the shared library at launch.

A package with a C extension (a gem, an sdist) compiles at install time against
a system library's headers (`libpq-fe.h`) and loads that library when the app
starts (`libpq.so.5`). Heroku's and Paketo's stacks preinstall both; dockless's
build root and run image hold neither, so a buildpack keeps a table of the
packages it knows (buildpacks/ruby/native.py, buildpacks/python/native.py) and
asks for them through `ctx.packages`, for the names the app's lockfile or
requirements hold only. Where Debian renamed a library in a later suite
(trixie's 64-bit time_t transition: `libssl3t64`), the alternatives are listed
in order and the first the build's suite offers wins.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

Alternatives = tuple[str, ...]  # package names, the first one the suite offers is used


@dataclass(frozen=True)
class NativeNeeds:
    """What one native package needs from Debian: packages at build and at launch, each a tuple of alternatives."""

    build: tuple[Alternatives, ...]
    launch: tuple[Alternatives, ...]


@dataclass(frozen=True)
class Needed:
    """The Debian packages an app's native packages need, and which of its packages asked (for the build log)."""

    build: tuple[str, ...]
    launch: tuple[str, ...]
    names: tuple[str, ...]


def native_packages(names: Iterable[str], table: Mapping[str, NativeNeeds],
                    offered: Callable[[str], Mapping[str, str]], suite: str) -> Needed:
    """The packages for the `names` that `table` knows, resolved for Debian `suite`.

    `offered(name)` is `Packages.offered`: {suite: version} of the suites that
    have `name`. An alternative list none of whose names `suite` offers falls
    back to its last name, so the stack's own error (exit 6) names it.
    """
    build: list[str] = []
    launch: list[str] = []
    known = sorted({name for name in names if name in table})
    for name in known:
        needs = table[name]
        build += [_pick(options, offered, suite) for options in needs.build]
        launch += [_pick(options, offered, suite) for options in needs.launch]
    return Needed(_unique(build), _unique(launch), tuple(known))


def _pick(options: Alternatives, offered: Callable[[str], Mapping[str, str]], suite: str) -> str:
    if len(options) == 1:
        return options[0]
    return next((name for name in options if suite in offered(name)), options[-1])


def _unique(names: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(names))
