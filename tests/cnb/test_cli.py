"""`--buildpack` refs the CLI refuses before any work: one error line, a hint, exit 2."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.cli import assert_clean_error, dockless

from .support import write_buildpack


def test_a_buildpack_that_does_not_exist_is_exit_2_in_one_line(tmp_path: Path) -> None:
    run = dockless("build", str(tmp_path), "--buildpack", "/no/such", "--image", f"oci:{tmp_path / 'out'}",
                   cache_dir=tmp_path / "cache")
    assert_clean_error(run, 2, "--buildpack '/no/such' is neither a built-in buildpack nor a directory")
    assert len([line for line in run.stderr.splitlines() if line.startswith("error: ")]) == 1
    assert not (tmp_path / "out").exists()


def test_a_crlf_buildpack_is_exit_2_naming_the_script(tmp_path: Path) -> None:
    root = write_buildpack(tmp_path / "bp", "crlf", build="#!/bin/sh\r\necho hi\r\n")
    run = dockless("detect", str(tmp_path), "-b", str(root), cache_dir=tmp_path / "cache")
    assert_clean_error(run, 2, "buildpack crlf: bin/build has Windows line endings (CRLF)")
