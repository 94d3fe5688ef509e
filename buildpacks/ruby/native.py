"""Debian packages for the well-known gems with native parts: headers at build, the shared library at launch.

A gem with a C extension compiles at `bundle install` against a system
library's headers (`pg` needs libpq-fe.h) and loads that library when the app
starts (`libpq.so.5`). Heroku's and Paketo's stacks preinstall both; dockless's
build root and run image hold neither, so the buildpack asks for them through
`ctx.packages`, for the gems the lockfile names only:

    gem        build (-dev, in the build root)       launch (in the image)
    nokogiri   libxml2-dev libxslt1-dev              libxml2 libxslt1.1
    pg         libpq-dev                             libpq5
    mysql2     libmariadb-dev                        libmariadb3
    sqlite3    libsqlite3-dev                        libsqlite3-0
    puma       libssl-dev (its TLS listener)         libssl3
    ffi        libffi-dev                            libffi8
    psych      libyaml-dev                           libyaml-0-2

nokogiri's precompiled gems from rubygems.org carry libxml2 inside and need
neither; a `ruby`-platform nokogiri, or one built against the system libraries
(Debian's), needs both, and the packages cost little. Where Debian renamed a
library in a later suite (trixie's 64-bit time_t transition: `libssl3t64`), the
alternatives are listed in order and the first the build's suite offers wins.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

Alternatives = tuple[str, ...]  # package names, the first one the suite offers is used


@dataclass(frozen=True)
class NativeNeeds:
    """What one gem needs from Debian: packages at build and at launch, each a tuple of alternatives."""

    build: tuple[Alternatives, ...]
    launch: tuple[Alternatives, ...]


NATIVE_GEMS: Mapping[str, NativeNeeds] = {
    "nokogiri": NativeNeeds((("libxml2-dev",), ("libxslt1-dev",)), (("libxml2-16", "libxml2"), ("libxslt1.1",))),
    "pg": NativeNeeds((("libpq-dev",),), (("libpq5",),)),
    "mysql2": NativeNeeds((("libmariadb-dev",),), (("libmariadb3",),)),
    "sqlite3": NativeNeeds((("libsqlite3-dev",),), (("libsqlite3-0",),)),
    "puma": NativeNeeds((("libssl-dev",),), (("libssl3t64", "libssl3"),)),
    "ffi": NativeNeeds((("libffi-dev",),), (("libffi8",),)),
    "psych": NativeNeeds((("libyaml-dev",),), (("libyaml-0-2",),)),
}


@dataclass(frozen=True)
class Needed:
    """The Debian packages a lockfile's native gems need, and which gems asked (for the build log)."""

    build: tuple[str, ...]
    launch: tuple[str, ...]
    gems: tuple[str, ...]


def native_packages(locked: Iterable[str], offered: Callable[[str], Mapping[str, str]], suite: str) -> Needed:
    """The packages for the locked gem names that NATIVE_GEMS knows, resolved for Debian `suite`.

    `offered(name)` is `Packages.offered`: {suite: version} of the suites that
    have `name`. An alternative list none of whose names `suite` offers falls
    back to its last name, so the stack's own error (exit 6) names it.
    """
    build: list[str] = []
    launch: list[str] = []
    gems = sorted({name for name in locked if name in NATIVE_GEMS})
    for gem in gems:
        needs = NATIVE_GEMS[gem]
        build += [_pick(options, offered, suite) for options in needs.build]
        launch += [_pick(options, offered, suite) for options in needs.launch]
    return Needed(_unique(build), _unique(launch), tuple(gems))


def _pick(options: Alternatives, offered: Callable[[str], Mapping[str, str]], suite: str) -> str:
    if len(options) == 1:
        return options[0]
    return next((name for name in options if suite in offered(name)), options[-1])


def _unique(names: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(names))
