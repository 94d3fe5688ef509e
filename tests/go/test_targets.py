"""Unit tests for choosing the main packages to build and naming their binaries."""

from __future__ import annotations

from pathlib import Path

import pytest

from buildpacks.go.build import _processes
from buildpacks.go.targets import Target, find_targets
from builder.errors import BuildError, UsageError
from tests.go.files import write

MAIN = "package main\n\nfunc main() {}\n"


def test_the_root_main_package_is_named_after_the_module(tmp_path: Path) -> None:
    write(tmp_path, {"main.go": MAIN, "cmd/tool/main.go": MAIN})
    assert find_targets(tmp_path, {}, "example.com/shop/api") == [Target(".", "api")]
    assert find_targets(tmp_path, {}, "") == [Target(".", "app")]


def test_the_single_cmd_main_package(tmp_path: Path) -> None:
    write(tmp_path, {"cmd/server/main.go": MAIN, "cmd/lib/lib.go": "package lib\n", "internal/x.go": "package x\n"})
    assert find_targets(tmp_path, {}, "m") == [Target("./cmd/server", "server")]


def test_several_cmd_mains_need_bp_go_targets(tmp_path: Path) -> None:
    write(tmp_path, {"cmd/api/main.go": MAIN, "cmd/worker/main.go": MAIN})
    with pytest.raises(BuildError) as err:
        find_targets(tmp_path, {}, "m")
    assert "cmd/api, cmd/worker" in err.value.message and "BP_GO_TARGETS=./cmd/api:./cmd/worker" in err.value.hint
    assert find_targets(tmp_path, {"BP_GO_TARGETS": "./cmd/worker:cmd/api"}, "m") == [
        Target("./cmd/worker", "worker"), Target("./cmd/api", "api")]


def test_no_main_package_at_all(tmp_path: Path) -> None:
    write(tmp_path, {"lib.go": "package lib\n"})
    with pytest.raises(BuildError, match="no main package to build"):
        find_targets(tmp_path, {}, "m")


@pytest.mark.parametrize("entry", ["./cmd/missing", "../other", "/abs", "./lib"])
def test_a_bp_go_targets_entry_that_is_no_main_package_is_a_usage_error(tmp_path: Path, entry: str) -> None:
    write(tmp_path, {"cmd/api/main.go": MAIN, "lib/lib.go": "package lib\n"})
    with pytest.raises(UsageError, match="BP_GO_TARGETS entry"):
        find_targets(tmp_path, {"BP_GO_TARGETS": f"./cmd/api:{entry}"}, "m")


def test_same_named_binaries_are_told_apart(tmp_path: Path) -> None:
    write(tmp_path, {"a/server/main.go": MAIN, "b/server/main.go": MAIN})
    assert [t.name for t in find_targets(tmp_path, {"BP_GO_TARGETS": "./a/server:./b/server"}, "m")] == [
        "server", "server-2"]


def test_processes_first_target_is_web_and_a_procfile_wins(tmp_path: Path) -> None:
    targets = [Target("./cmd/api", "api"), Target("./cmd/worker", "worker")]
    procs = {p.type: p for p in _processes(tmp_path, targets, "/workspace")}
    assert procs["web"].command == ("/layers/go/bin/api",) and procs["web"].default
    assert procs["worker"].command == ("/layers/go/bin/worker",) and not procs["worker"].default
    write(tmp_path, {"Procfile": "web: api --verbose\n"})
    procs = {p.type: p for p in _processes(tmp_path, targets, "/workspace")}
    assert procs["web"].command == ("/layers/go/bin/api", "--verbose")  # a binary name runs by its path


def test_a_major_version_suffix_is_not_the_binary_name_as_go_build_names_it(tmp_path: Path) -> None:
    from buildpacks.go.targets import exec_name

    write(tmp_path, {"main.go": MAIN, "cmd/api/v3/main.go": MAIN})
    assert find_targets(tmp_path, {}, "github.com/acme/shop/v2") == [Target(".", "shop")]
    assert find_targets(tmp_path, {"BP_GO_TARGETS": "./cmd/api/v3"}, "github.com/acme/shop/v2") == [
        Target("./cmd/api/v3", "api")]
    # the go command's isVersionElement: v2…v9, v10…; not v0, v1, v01 or gopkg.in's yaml.v3
    assert [exec_name(p) for p in ("example.com/x/v10", "example.com/x/v1", "example.com/x/v0", "example.com/v01",
                                   "gopkg.in/yaml.v3", "v2", "")] == ["x", "v1", "v0", "v01", "yaml.v3", "v2", ""]
