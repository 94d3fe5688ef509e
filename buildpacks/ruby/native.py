"""Debian packages for the well-known gems with native parts (the table; the rule is builder/buildpack/native.py):

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
(Debian's), needs both, and the packages cost little.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from builder.buildpack.native import NativeNeeds, Needed
from builder.buildpack.native import native_packages as _native_packages

NATIVE_GEMS: Mapping[str, NativeNeeds] = {
    "nokogiri": NativeNeeds((("libxml2-dev",), ("libxslt1-dev",)), (("libxml2-16", "libxml2"), ("libxslt1.1",))),
    "pg": NativeNeeds((("libpq-dev",),), (("libpq5",),)),
    "mysql2": NativeNeeds((("libmariadb-dev",),), (("libmariadb3",),)),
    "sqlite3": NativeNeeds((("libsqlite3-dev",),), (("libsqlite3-0",),)),
    "puma": NativeNeeds((("libssl-dev",),), (("libssl3t64", "libssl3"),)),
    "ffi": NativeNeeds((("libffi-dev",),), (("libffi8",),)),
    "psych": NativeNeeds((("libyaml-dev",),), (("libyaml-0-2",),)),
}


def native_packages(locked: Iterable[str], offered: Callable[[str], Mapping[str, str]], suite: str) -> Needed:
    """The Debian packages for the locked gem names NATIVE_GEMS knows (see builder.buildpack.native)."""
    return _native_packages(locked, NATIVE_GEMS, offered, suite)
