"""The Debian packages buildpacks ask for during a build (the `Packages` of the contract), and the suite.

The lifecycle only records them: build packages change which build root the
executor uses from the next command on (`Services.make_executor`), launch
packages become one layer on the run image at export (`Services.package_layer`),
and the suite picks the build root, the run image and where packages come from.
Names are kept sorted and unique, so the same requests give the same build root
and the same layer whatever order buildpacks asked in.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence

from builder.errors import BuildError

_NAME = re.compile(r"^[a-z0-9][a-z0-9+.-]+$")  # Debian Policy 5.6.1

Offered = Callable[[str, Sequence[str]], Mapping[str, str]]
"""(package, suites) -> {suite: version} for the suites that have it."""


class PackageRequests:
    """Implements `builder.lifecycle.contract.Packages` by recording what buildpacks ask for.

    `suites` are the Debian suites the stack can be made from (the default first);
    `fixed_run_image` names a --run-image, which no suite change can replace.
    """

    def __init__(self, suite: str = "trixie", suites: Sequence[str] = ("trixie",), offered: Offered | None = None,
                 fixed_run_image: str | None = None) -> None:
        self.build: tuple[str, ...] = ()
        self.launch: tuple[str, ...] = ()
        self._suite = suite
        self._chosen_by: str | None = None
        self.suites = (suite, *[s for s in suites if s != suite])
        self._offered = offered
        self.fixed_run_image = fixed_run_image

    @property
    def suite(self) -> str:
        return self._suite

    def add(self, names: Sequence[str], *, build: bool, launch: bool) -> None:
        bad = [n for n in names if not _NAME.match(n)]
        if bad:
            raise BuildError(f"a buildpack asked for Debian packages with invalid names: {', '.join(bad)}",
                             "this is a bug in the buildpack")
        if build:
            self.build = tuple(sorted({*self.build, *names}))
        if launch:
            self.launch = tuple(sorted({*self.launch, *names}))

    def offered(self, name: str) -> Mapping[str, str]:
        if self._offered is None:
            return {}
        found = self._offered(name, self.suites)
        return {s: found[s] for s in self.suites if s in found}

    def use_suite(self, suite: str, *, by: str = "a buildpack") -> None:
        if suite == self._suite:
            self._chosen_by = self._chosen_by or by
            return
        if suite not in self.suites:
            raise BuildError(f"{by} needs Debian {suite}, which this stack is not made from",
                             f"supported suites: {', '.join(self.suites)}")
        if self.fixed_run_image:
            raise BuildError(f"{by} needs Debian {suite}, but the run image is fixed ({self.fixed_run_image})",
                             f"pass a run image made from {suite} ('dockless stack create --suite {suite}'), "
                             "or leave out --run-image")
        if self._chosen_by is not None:
            raise BuildError(f"{by} needs Debian {suite}, but {self._chosen_by} already chose {self._suite}",
                             "ask for versions that one Debian suite offers together")
        self._suite, self._chosen_by = suite, by
