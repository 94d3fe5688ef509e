"""Go from Debian's `golang-1.N-go` packages, the other source of a toolchain (`BP_GO_TOOLCHAIN=debian`).

    debian_go(packages, "1.24", "go.mod go directive") -> DebianGo("1.24", "1.24.4", "/usr/lib/go-1.24", note)

Debian ships one or two Go series per suite (bookworm 1.19, trixie 1.24,
forky and sid 1.26 and 1.27) with security patches, not every release. The
package goes into the build root only (`build=True, launch=False`), so
nothing of it ships. The choice, as the Ruby buildpack chooses a series:

    the request's series in the build's suite             golang-1.24-go
    else the request's series in another suite            the whole build moves there (`use_suite`)
    else the build suite's own series, when newer         the go line is a minimum (Go 1 compatibility)
    else                                                  BuildError naming what each suite offers

A go line with a patch (`go 1.24.4`) is a minimum the go command enforces:
a Debian package older than it is a BuildError (the module proxy has the
exact release). A `toolchain` line is read as its series. Debian's GOROOT is
/usr/lib/go-1.N (the package's own directory: no alternatives links needed).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from builder.errors import BuildError
from builder.lifecycle.contract import Packages
from detectors.go import GO_VERSION, version_key

SUITE_SERIES = {"bookworm": ("1.19",), "trixie": ("1.24",), "forky": ("1.26", "1.27"), "sid": ("1.26", "1.27")}
_UPSTREAM = re.compile(r"^(?:\d+:)?(\d+\.\d+(?:\.\d+)?)")


@dataclass(frozen=True)
class DebianGo:
    """The Debian Go a build uses: its series, the package's upstream version, its GOROOT and why it was chosen."""

    series: str
    version: str
    note: str = ""

    @property
    def package(self) -> str:
        return f"golang-{self.series}-go"

    @property
    def goroot(self) -> str:
        return f"/usr/lib/go-{self.series}"


def debian_go(packages: Packages, request: str, source: str) -> DebianGo:
    """The golang-1.N-go package to build with (see the module docstring); adds it to the build root."""
    request = request.strip().removeprefix("go")
    match = GO_VERSION.match(request) if request else None
    if request and not match:
        raise BuildError(f"'{request}' from {source} is not a Go version", "write a version such as 1.24 or 1.24.4")
    suite = packages.suite
    own = SUITE_SERIES.get(suite, ())
    chosen: DebianGo | None = None
    if match is None:
        chosen = _offered(packages, own[-1], suite, "the newest series of the suite") if own else None
    else:
        series = f"{match.group(1)}.{match.group(2)}"
        offered = packages.offered(f"golang-{series}-go")
        if suite in offered:
            chosen = DebianGo(series, _upstream(offered[suite]))
        elif offered:
            other = next(iter(offered))
            packages.use_suite(other)
            chosen = DebianGo(series, _upstream(offered[other]), f"Debian {suite} has no Go {series}; building on {other}")
        else:
            newer = [s for s in own if version_key(f"{s}.0") >= version_key(f"{series}.0")]
            if newer:
                chosen = _offered(packages, newer[-1], suite, f"Debian has no Go {series}; the go line is a minimum")
    if chosen is None:
        listed = "; ".join(f"{s}: {', '.join(v)}" for s, v in SUITE_SERIES.items())
        raise BuildError(f"Debian offers no Go for '{request or 'any'}' ({source}) (series per suite: {listed})",
                         "leave out BP_GO_TOOLCHAIN=debian to take the exact release from the Go module proxy")
    if match and match.group(3) is not None and version_key(chosen.version) < version_key(request):
        raise BuildError(f"Go {request} ({source}) is newer than Debian {packages.suite}'s {chosen.package} "
                         f"({chosen.version}), and the go command refuses an older Go",
                         "leave out BP_GO_TOOLCHAIN=debian to take the exact release from the Go module proxy")
    packages.add([chosen.package], build=True, launch=False)
    return chosen


def _offered(packages: Packages, series: str, suite: str, note: str) -> DebianGo | None:
    found = packages.offered(f"golang-{series}-go")
    return DebianGo(series, _upstream(found[suite]), note) if suite in found else None


def _upstream(debian_version: str) -> str:
    """`1.24.4-1` / `2:1.24.4-1+b1` as `1.24.4`; a version with no patch (`1.24~rc1`) as `1.24.0`."""
    match = _UPSTREAM.match(debian_version)
    if not match:
        return "0.0.0"
    found = match.group(1)
    return found if found.count(".") == 2 else f"{found}.0"
