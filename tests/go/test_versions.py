"""Unit tests for resolving a Go version request among the toolchain versions the module proxy lists."""

from __future__ import annotations

import pytest

from buildpacks.go.versions import pick, releases
from builder.errors import BuildError

LIST = """v0.0.1-go1.21.0.linux-amd64
v0.0.1-go1.22.0.linux-amd64
v0.0.1-go1.22.12.linux-amd64
v0.0.1-go1.22.5.linux-amd64
v0.0.1-go1.22.5.linux-arm64
v0.0.1-go1.23rc1.linux-amd64
v0.0.1-go1.23.0.windows-amd64
v0.0.1-go1.24.4.linux-amd64
v0.0.1-go1.24.4.darwin-arm64
v0.0.1-go1.25rc2.linux-amd64
"""
OFFERED = releases(LIST, "amd64")


def test_the_list_holds_this_arch_sorted_as_go_versions() -> None:
    assert OFFERED == ["1.21.0", "1.22.0", "1.22.5", "1.22.12", "1.23rc1", "1.24.4", "1.25rc2"]
    assert releases(LIST, "arm64") == ["1.22.5"]


@pytest.mark.parametrize(("request_", "version", "note"), [
    ("1.22.5", "1.22.5", ""),                   # an exact release: the toolchain line, a go line with a patch
    ("go1.22.5", "1.22.5", ""),
    ("1.23rc1", "1.23rc1", ""),                 # a pre-release, when asked for by name
    ("1.22", "1.22.12", "the newest 1.22.x"),   # no patch: the newest of the series (not 1.22.5: sorted as versions)
    ("1.22.x", "1.22.12", "the newest 1.22.x"),
    ("", "1.24.4", "the newest release"),       # pre-releases are never picked unasked
    ("1.16", "1.24.4", "Go 1.16 is older than any toolchain module; the go line is a minimum"),
])
def test_pick(request_: str, version: str, note: str) -> None:
    assert pick(request_, "go.mod", OFFERED) == (version, note)


@pytest.mark.parametrize(("request_", "words"), [
    ("1.99", "Go 1.99 (go.mod) has no release on the Go module proxy (newest: 1.21.0, 1.22.12, 1.24.4)"),
    ("1.22.99", "Go 1.22.99 (go.mod) is not a release the Go module proxy offers"),
    ("1.23", "Go 1.23 (go.mod) has no release"),   # only an rc of 1.23 exists
    ("latest", "'latest' from go.mod is not a Go version"),
])
def test_impossible_requests_are_build_errors_naming_what_is_offered(request_: str, words: str) -> None:
    with pytest.raises(BuildError) as err:
        pick(request_, "go.mod", OFFERED)
    assert words in err.value.message


def test_an_empty_list_says_the_proxy_serves_no_toolchain() -> None:
    with pytest.raises(BuildError, match="lists no golang.org/toolchain release"):
        pick("1.22", "go.mod", releases("", "amd64"))
