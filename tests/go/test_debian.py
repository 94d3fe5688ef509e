"""Unit tests for choosing Debian's golang-1.N-go package (BP_GO_TOOLCHAIN=debian), with a fake stack."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pytest

from buildpacks.go.debian import debian_go
from builder.errors import BuildError

ARCHIVE = {  # package -> suite -> Debian version, as Packages.offered answers
    "golang-1.19-go": {"bookworm": "1.19.8-2"},
    "golang-1.24-go": {"trixie": "1.24.4-1"},
    "golang-1.26-go": {"forky": "1.26.1-1", "sid": "1.26.1-1"},
}


@dataclass
class FakePackages:
    """Packages over ARCHIVE: records what was added and which suite was chosen."""

    suite: str = "trixie"
    added: list[str] = field(default_factory=list)

    def add(self, names: Sequence[str], *, build: bool, launch: bool) -> None:
        assert build and not launch  # the toolchain never ships
        self.added += names

    def offered(self, name: str) -> Mapping[str, str]:
        return ARCHIVE.get(name, {})

    def use_suite(self, suite: str) -> None:
        self.suite = suite


@pytest.mark.parametrize(("request_", "series", "version", "suite", "note"), [
    ("1.24", "1.24", "1.24.4", "trixie", ""),
    ("1.24.2", "1.24", "1.24.4", "trixie", ""),        # a go line is a minimum: 1.24.4 satisfies 1.24.2
    ("", "1.24", "1.24.4", "trixie", "the newest series of the suite"),
    ("1.22", "1.24", "1.24.4", "trixie", "Debian has no Go 1.22; the go line is a minimum"),
    ("1.19", "1.19", "1.19.8", "bookworm", "Debian trixie has no Go 1.19; building on bookworm"),
    ("1.26", "1.26", "1.26.1", "forky", "Debian trixie has no Go 1.26; building on forky"),
])
def test_the_series_asked_for_else_a_newer_one_of_the_suite(
        request_: str, series: str, version: str, suite: str, note: str) -> None:
    packages = FakePackages()
    found = debian_go(packages, request_, "go.mod go directive")
    assert (found.series, found.version, packages.suite, found.note) == (series, version, suite, note)
    assert packages.added == [f"golang-{series}-go"] and found.goroot == f"/usr/lib/go-{series}"


@pytest.mark.parametrize(("request_", "words"), [
    ("1.24.9", "Go 1.24.9 (go.mod) is newer than Debian trixie's golang-1.24-go (1.24.4)"),
    ("1.30", "Debian offers no Go for '1.30' (go.mod) (series per suite: bookworm: 1.19; trixie: 1.24"),
    ("one", "'one' from go.mod is not a Go version"),
])
def test_what_debian_cannot_give_is_a_build_error_pointing_at_the_proxy(request_: str, words: str) -> None:
    packages = FakePackages()
    with pytest.raises(BuildError) as err:
        debian_go(packages, request_, "go.mod")
    assert words in err.value.message
    assert packages.added == []
