"""Which Go release a request means, among the `golang.org/toolchain` versions the module proxy lists.

    releases(list_text, "amd64")      -> ["1.21.0", …, "1.24.4"]  (stable releases for that arch, oldest first)
    pick(request, source, releases)   -> "1.22.12"                 BuildError when none fits

The rule is the go command's for GOTOOLCHAIN switching, with the series rule
of Paketo's BP_GO_VERSION:

    "1.22.5", "1.23rc1"   exactly that release (the toolchain line, a go line with a patch)
    "1.22", "1.22.x"      the newest 1.22.x release listed
    ""                    the newest release listed
    "1.16"                older than any toolchain module (they start at 1.21.0): the go line is
                          a minimum, so the newest release listed, and the log says so

A request newer than every listed release ("1.99") is a BuildError naming
the newest ones offered.
"""

from __future__ import annotations

import re

from builder.errors import BuildError
from detectors.go import GO_VERSION, version_key

_ENTRY = re.compile(r"^v0\.0\.1-go(\S+)\.linux-(\w+)$")
FIRST_MODULE_SERIES = (1, 21)  # golang.org/toolchain modules exist from go1.21.0


def releases(list_text: str, arch: str) -> list[str]:
    """The Go versions of `arch` in a proxy `@v/list` answer, oldest first; pre-releases included."""
    found: list[str] = []
    for line in list_text.split():
        match = _ENTRY.match(line.strip())
        if match and match.group(2) == arch and GO_VERSION.match(match.group(1)):
            found.append(match.group(1))
    return sorted(set(found), key=version_key)


def stable(version: str) -> bool:
    """True for a release (1.22.5), False for a pre-release (1.23rc1) or a language version (1.22)."""
    match = GO_VERSION.match(version)
    return bool(match and match.group(3) is not None and not match.group(4))


def pick(request: str, source: str, offered: list[str]) -> tuple[str, str]:
    """(release, note): the release `request` means among `offered`; the note says why when it is not plain."""
    request = request.strip().removeprefix("go").removesuffix(".x")
    releases_ = [v for v in offered if stable(v)]
    newest = ", ".join(_newest_per_series(releases_)[-3:]) or "none"
    if not releases_:
        raise BuildError("the Go module proxy lists no golang.org/toolchain release for this architecture",
                         "check GOPROXY: it must serve golang.org/toolchain (proxy.golang.org does)")
    if not request:
        return releases_[-1], "the newest release"
    match = GO_VERSION.match(request)
    if not match:
        raise BuildError(f"'{request}' from {source} is not a Go version",
                         "write a version such as 1.22 or 1.22.5")
    major, minor, patch, pre = match.groups()
    if patch is not None or pre:
        if request in offered:
            return request, ""
        raise BuildError(f"Go {request} ({source}) is not a release the Go module proxy offers (newest: {newest})",
                         "name a released version (see https://go.dev/doc/devel/release)")
    series = [v for v in releases_ if v.startswith(f"{major}.{minor}.")]
    if series:
        return series[-1], f"the newest {major}.{minor}.x"
    if (int(major), int(minor)) < FIRST_MODULE_SERIES:
        return releases_[-1], f"Go {request} is older than any toolchain module; the go line is a minimum"
    raise BuildError(f"Go {request} ({source}) has no release on the Go module proxy (newest: {newest})",
                     "use a released Go version in go.mod's go line")


def _newest_per_series(versions: list[str]) -> list[str]:
    """The newest release of each 1.N series in `versions` (sorted oldest first), in that order."""
    newest: dict[str, str] = {}
    for version in versions:
        newest[version.rsplit(".", 1)[0]] = version
    return list(newest.values())
