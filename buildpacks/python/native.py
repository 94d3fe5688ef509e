"""Debian packages for the well-known PyPI packages published as sdists only, which compile against a system
library (the table; the rule is builder/buildpack/native.py):

    package       build (-dev, in the build root)                  launch (in the image)
    psycopg2      libpq-dev                                         libpq5
    mysqlclient   default-libmysqlclient-dev, pkgconf               libmariadb3
    python-ldap   libldap-dev (libldap2-dev), libsasl2-dev          libldap2 (libldap-2.5-0)

Packages with manylinux wheels (psycopg2-binary, lxml, Pillow, numpy) carry
their libraries inside the wheel and need none of this.
"""

from __future__ import annotations

from collections.abc import Mapping

from builder.buildpack.native import NativeNeeds

NATIVE_SDISTS: Mapping[str, NativeNeeds] = {
    "psycopg2": NativeNeeds((("libpq-dev",),), (("libpq5",),)),
    "mysqlclient": NativeNeeds((("default-libmysqlclient-dev",), ("pkgconf",)), (("libmariadb3",),)),
    "python-ldap": NativeNeeds((("libldap-dev", "libldap2-dev"), ("libsasl2-dev",)),
                               (("libldap2", "libldap-2.5-0"),)),
}
