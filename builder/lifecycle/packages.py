"""The Debian packages buildpacks ask for during a build (the `Packages` of the contract).

The lifecycle only records them: build packages change which build root the
executor uses from the next command on (`Services.make_executor`), launch
packages become one layer on the run image at export (`Services.package_layer`).
Both are kept sorted and unique, so the same requests give the same build root
and the same layer whatever order buildpacks asked in.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from builder.errors import BuildError

_NAME = re.compile(r"^[a-z0-9][a-z0-9+.-]+$")  # Debian Policy 5.6.1


class PackageRequests:
    """Implements `builder.lifecycle.contract.Packages` by recording the names."""

    def __init__(self) -> None:
        self.build: tuple[str, ...] = ()
        self.launch: tuple[str, ...] = ()

    def add(self, names: Sequence[str], *, build: bool, launch: bool) -> None:
        bad = [n for n in names if not _NAME.match(n)]
        if bad:
            raise BuildError(f"a buildpack asked for Debian packages with invalid names: {', '.join(bad)}",
                             "this is a bug in the buildpack")
        if build:
            self.build = tuple(sorted({*self.build, *names}))
        if launch:
            self.launch = tuple(sorted({*self.launch, *names}))
