"""Unit tests for the cgo choice and the library check of cgo binaries, on real files and real ELF binaries."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from buildpacks.go.cgo import cgo_files, cgo_off_error, cgo_setting, check_binaries
from builder.errors import BuildError, UsageError
from tests.go.files import write

CGO_MAIN = 'package main\n\n/*\nstatic int answer(void) { return 42; }\n*/\nimport "C"\n\nfunc main() {}\n'


def test_the_apps_own_files_that_import_c_are_found(tmp_path: Path) -> None:
    write(tmp_path, {"main.go": CGO_MAIN, "lib/x.go": 'package lib\n\nimport (\n\t"C"\n)\n',
                     "pure.go": 'package main\n\nimport "fmt"\n\n// import "C" in a comment\n',
                     "main_test.go": CGO_MAIN, "vendor/a/a.go": CGO_MAIN, "testdata/t.go": CGO_MAIN,
                     ".hidden/h.go": CGO_MAIN, "_old/o.go": CGO_MAIN})
    assert cgo_files(tmp_path) == ["lib/x.go", "main.go"]


def test_cgo_is_on_for_an_app_that_imports_c_or_when_asked_and_off_when_told(tmp_path: Path) -> None:
    plain = write(tmp_path / "plain", {"main.go": "package main\n\nfunc main() {}\n"})
    cgo = write(tmp_path / "cgo", {"main.go": CGO_MAIN})
    assert cgo_setting({}, plain).enabled is False and cgo_setting({}, plain).reason == ""
    found = cgo_setting({}, cgo)
    assert found.enabled and 'main.go imports "C"' in found.reason and found.files == ("main.go",)
    assert cgo_setting({"CGO_ENABLED": "1"}, plain).enabled
    assert cgo_setting({"CGO_ENABLED": " 0 "}, cgo).enabled is False  # the user's word wins: a !cgo fallback
    with pytest.raises(UsageError, match="CGO_ENABLED must be 0 or 1, not 'yes'") as info:
        cgo_setting({"CGO_ENABLED": "yes"}, plain)
    assert info.value.exit_code == 2


def test_a_failed_build_with_cgo_off_names_the_file_and_the_fix() -> None:
    cause = BuildError("go build . failed (exit 1)", "build constraints exclude all Go files in /workspace")
    error = cgo_off_error(["main.go"], cause)
    assert error.exit_code == 5 and "\n" not in error.message
    assert error.message.startswith('main.go imports "C" (cgo), and CGO_ENABLED=0 leaves it out')
    assert "CGO_ENABLED=0" in (error.hint or "")


@pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc to make real ELF binaries")
def test_binaries_may_need_glibc_and_nothing_else(tmp_path: Path) -> None:
    (tmp_path / "m.c").write_text("#include <math.h>\n#include <stdio.h>\nint main(void){printf(\"%f\", sqrt(2));}\n")
    subprocess.run(["gcc", "-o", str(tmp_path / "ok"), str(tmp_path / "m.c"), "-lm"], check=True)
    check_binaries([tmp_path / "ok"])
    (tmp_path / "lib.c").write_text("int dockless_answer(void){return 42;}\n")
    subprocess.run(["gcc", "-shared", "-fPIC", "-o", str(tmp_path / "libanswer.so.1"), str(tmp_path / "lib.c"),
                    "-Wl,-soname,libanswer.so.1"], check=True)
    (tmp_path / "n.c").write_text("int dockless_answer(void);\nint main(void){return dockless_answer();}\n")
    subprocess.run(["gcc", "-o", str(tmp_path / "needs"), str(tmp_path / "n.c"), str(tmp_path / "libanswer.so.1")],
                   check=True)
    with pytest.raises(BuildError, match="needs needs the shared library libanswer.so.1, which the run image"):
        check_binaries([tmp_path / "needs"])
    (tmp_path / "static").write_bytes((tmp_path / "m.c").read_bytes())  # not ELF: nothing to check
    check_binaries([tmp_path / "static"])
