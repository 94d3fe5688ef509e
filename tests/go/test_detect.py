"""Unit tests for the Go detector: go.mod parsing, the version request and its source, malformed files."""

from __future__ import annotations

from pathlib import Path

import pytest

from builder.errors import UsageError
from detectors.go import GoDetector, read_gomod, version_key
from tests.go.files import write


GOMOD = """// a comment
module example.com/app // trailing comment

go 1.22

require (
\tgithub.com/go-chi/chi/v5 v5.2.3
\tgolang.org/x/text v0.14.0 // indirect
)

require github.com/google/uuid v1.6.0
replace example.com/old => ./old
"""


def test_go_mod_is_read_as_the_go_command_reads_it(tmp_path: Path) -> None:
    mod = read_gomod(write(tmp_path, {"go.mod": GOMOD}) / "go.mod")
    assert mod is not None
    assert mod.module == "example.com/app" and mod.go == "1.22" and mod.toolchain == ""
    assert mod.requires == (("github.com/go-chi/chi/v5", "v5.2.3"), ("golang.org/x/text", "v0.14.0"),
                            ("github.com/google/uuid", "v1.6.0"))


def test_toolchain_line_wins_over_the_go_line(tmp_path: Path) -> None:
    write(tmp_path, {"go.mod": "module m\n\ngo 1.22\n\ntoolchain go1.22.5\n"})
    found = GoDetector().detect(tmp_path, {"BP_GO_VERSION": "1.21"})
    assert found.passed and found.provides == ("go",)
    assert found.metadata("go")["go"] == "1.22.5" and found.metadata("go")["go_source"] == "go.mod toolchain"
    assert "Go '1.22.5' from go.mod toolchain" in found.reasons


def test_a_toolchain_older_than_the_go_line_is_ignored_as_the_go_command_does(tmp_path: Path) -> None:
    write(tmp_path, {"go.mod": "module m\ngo 1.23.2\ntoolchain go1.22.0\n"})
    meta = GoDetector().detect(tmp_path, {}).metadata("go")
    assert (meta["go"], meta["go_source"]) == ("1.23.2", "go.mod go directive")


def test_toolchain_default_means_no_toolchain_line(tmp_path: Path) -> None:
    write(tmp_path, {"go.mod": "module m\ngo 1.24\ntoolchain default\n"})
    assert GoDetector().detect(tmp_path, {}).metadata("go")["go"] == "1.24"


def test_bp_go_version_when_go_mod_names_none_and_default_otherwise(tmp_path: Path) -> None:
    write(tmp_path, {"go.mod": "module m\n"})
    meta = GoDetector().detect(tmp_path, {"BP_GO_VERSION": "go1.23"}).metadata("go")
    assert (meta["go"], meta["go_source"]) == ("1.23", "BP_GO_VERSION")
    found = GoDetector().detect(tmp_path, {})
    assert found.metadata("go")["go_source"] == "default"
    assert any("the newest release" in r for r in found.reasons)


def test_a_main_package_without_go_mod_is_detected(tmp_path: Path) -> None:
    write(tmp_path, {"main.go": "// hello\npackage main\n\nfunc main() {}\n", "main_test.go": "package main\n"})
    found = GoDetector().detect(tmp_path, {})
    assert found.passed and found.metadata("go")["gomod"] == "false"
    assert "GOPATH mode" in found.reasons[0]


@pytest.mark.parametrize("files", [
    {},
    {"lib.go": "package lib\n"},
    {"main_test.go": "package main\n"},
    {"tool.go": "//go:build ignore\n\npackage main\n"},
    {"package.json": "{}"},
])
def test_no_go_mod_and_no_main_package_fails(tmp_path: Path, files: dict[str, str]) -> None:
    found = GoDetector().detect(write(tmp_path, files), {})
    assert not found.passed and found.reasons == ("no go.mod and no package main at the root",)


def test_vendor_directory_is_noted(tmp_path: Path) -> None:
    write(tmp_path, {"go.mod": "module m\ngo 1.24\n", "vendor/modules.txt": "# x\n"})
    found = GoDetector().detect(tmp_path, {})
    assert found.metadata("go")["vendor"] == "true" and any("vendor/" in r for r in found.reasons)


def test_app_dir_is_where_go_mod_is_looked_for(tmp_path: Path) -> None:
    write(tmp_path, {"services/api/go.mod": "module api\ngo 1.24\n"})
    assert not GoDetector().detect(tmp_path, {}).passed
    assert GoDetector().detect(tmp_path, {}, "services/api").passed


@pytest.mark.parametrize(("text", "line", "words"), [
    ("module m\ngo 1.22\nfrobnicate x\n", 3, "unknown directive: frobnicate"),
    ("module m\n\ngo one.two\n", 3, "invalid go version 'one.two'"),
    ("module m\ngo 1.22\ntoolchain 1.22.5\n", 3, "invalid toolchain '1.22.5'"),
    ("module m\nrequire (\n\tgithub.com/x/y v1.0.0\n", 2, "block is never closed"),
    ("module m\nrequire github.com/x/y\n", 2, "usage: require"),
    ("module a b\n", 1, "usage: module"),
])
def test_malformed_go_mod_is_a_usage_error_naming_the_line(tmp_path: Path, text: str, line: int, words: str) -> None:
    write(tmp_path, {"go.mod": text})
    with pytest.raises(UsageError) as err:
        GoDetector().detect(tmp_path, {})
    assert err.value.message.startswith(f"go.mod line {line}: ") and words in err.value.message
    assert "go mod" in err.value.hint


def test_go_versions_sort_as_the_go_command_sorts_them() -> None:
    order = ["1.21", "1.21rc1", "1.21rc2", "1.21.0", "1.21.10", "1.22beta1", "1.22rc1", "1.22.0", "1.100.0"]
    assert sorted(reversed(order), key=version_key) == order
    with pytest.raises(ValueError):
        version_key("go1.22")


def test_a_replace_outside_the_subdir_cannot_build_alone_exit_3(tmp_path: Path) -> None:
    """gomono: --subdir services/api copies only that directory, so `../../shared` is not there."""
    from builder.errors import SourceError

    write(tmp_path, {"go.mod": "module example.com/api\n\ngo 1.23\n\nrequire example.com/shared v0.0.0\n\n"
                               "replace example.com/shared => ../../shared\n",
                     "cmd/api/main.go": "package main\n\nfunc main() {}\n"})
    with pytest.raises(SourceError) as info:
        GoDetector().detect(tmp_path, {})
    assert info.value.exit_code == 3 and "\n" not in info.value.message
    assert "replaces example.com/shared with ../../shared, a directory outside" in info.value.message
    assert "cannot build alone" in info.value.message and "go mod vendor" in (info.value.hint or "")


def test_replace_blocks_absolute_paths_and_a_directory_without_go_mod(tmp_path: Path) -> None:
    from builder.errors import SourceError

    write(tmp_path, {"go.mod": "module example.com/app\ngo 1.22\nreplace (\n\texample.com/a v1.0.0 => /home/me/a\n)\n",
                     "main.go": "package main\n"})
    with pytest.raises(SourceError, match="with /home/me/a, a directory outside"):
        GoDetector().detect(tmp_path, {})
    write(tmp_path, {"go.mod": "module example.com/app\ngo 1.22\nreplace example.com/lib => ./lib\n", "lib/x.go": ""})
    with pytest.raises(UsageError, match="replaces example.com/lib with ./lib, which has no go.mod") as info:
        GoDetector().detect(tmp_path, {})
    assert info.value.exit_code == 2


def test_replacements_inside_the_workspace_and_module_replacements_pass(tmp_path: Path) -> None:
    """A --subdir that is a member of a JS workspace keeps the root: a sibling under it is inside."""
    write(tmp_path, {"svc/go.mod": "module example.com/svc\ngo 1.22\nrequire example.com/lib v0.0.0\n"
                                   "replace example.com/lib => ../lib\n"
                                   "replace golang.org/x/net => golang.org/x/net v0.30.0\n",
                     "svc/main.go": "package main\n", "lib/go.mod": "module example.com/lib\n"})
    mod = read_gomod(tmp_path / "svc" / "go.mod")
    assert mod is not None and mod.replaces == (("example.com/lib", "../lib"),
                                                ("golang.org/x/net", "golang.org/x/net v0.30.0"))
    assert GoDetector().detect(tmp_path, {}, "svc").passed


def test_a_go_work_member_built_alone_is_exit_3_and_asks_no_proxy(tmp_path: Path) -> None:
    """gowork: api requires example.com/shared v0.0.0, which only the root go.work's `use ./shared` provides."""
    from builder.errors import SourceError

    write(tmp_path, {"go.mod": "module example.com/api\n\ngo 1.24\n\nrequire example.com/shared v0.0.0\n",
                     "main.go": "package main\n"})
    with pytest.raises(SourceError) as info:
        GoDetector().detect(tmp_path, {})
    assert info.value.exit_code == 3 and "\n" not in info.value.message
    assert "requires example.com/shared v0.0.0, a placeholder version" in info.value.message
    assert "go.work" in info.value.message
    # listed in go.sum (so its hash is pinned), or vendored: the go command can build it
    write(tmp_path, {"go.sum": "example.com/shared v0.0.0 h1:abc=\nexample.com/shared v0.0.0/go.mod h1:def=\n"})
    assert GoDetector().detect(tmp_path, {}).passed
    (tmp_path / "go.sum").unlink()
    write(tmp_path, {"vendor/modules.txt": "# example.com/shared v0.0.0\n"})
    assert GoDetector().detect(tmp_path, {}).passed
