"""bin/detect run through the production host executor: exit codes, the build plan, what it sees."""

from __future__ import annotations

from pathlib import Path

import pytest

from builder.lifecycle.cnb import CnbBuildpack
from builder.lifecycle.contract import Require

from .support import detect_ctx, host_executor, write_buildpack

PLAN_DETECT = """#!/bin/sh
set -eu
echo "looking at $(pwd)"
cat >> "$CNB_BUILD_PLAN_PATH" <<'TOML'
[[provides]]
name = "greet"

[[requires]]
name = "greet"
version = "1.x"

[requires.metadata]
build = true
launch = "true"
tools = ["a", "b"]
TOML
echo "found what I need"
"""


def test_exit_0_passes_with_its_plan_and_output(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    bp = CnbBuildpack.load(write_buildpack(tmp_path / "bp", "example/greet", detect=PLAN_DETECT))
    detection = bp.detect(detect_ctx(ws, host_executor(ws)))
    assert detection.passed and detection.buildpack == "example/greet"
    assert detection.provides == ("greet",)
    # strings stay strings; everything else is JSON; an old-style `version` moves into the metadata
    assert detection.requires == (Require("greet", {"build": "true", "launch": "true", "tools": '["a", "b"]',
                                                    "version": "1.x"}),)
    assert detection.reasons[0] == "bin/detect passed"
    assert "found what I need" in detection.reasons
    assert f"looking at {ws}" in detection.reasons  # cwd is the workspace (host paths on the host executor)


def test_exit_100_fails_with_the_last_output_lines(tmp_path: Path) -> None:
    bp = CnbBuildpack.load(write_buildpack(tmp_path / "bp", "a",
                                           detect="#!/bin/sh\necho 'no Gemfile here' >&2\nexit 100\n"))
    detection = bp.detect(detect_ctx(tmp_path, host_executor(tmp_path)))
    assert not detection.passed and detection.malformed is None
    assert detection.reasons == ("bin/detect did not pass (exit 100)", "no Gemfile here")


def test_any_other_exit_is_a_failed_detection_naming_the_error(tmp_path: Path) -> None:
    bp = CnbBuildpack.load(write_buildpack(tmp_path / "bp", "a",
                                           detect="#!/bin/sh\necho 'cannot parse Gemfile.lock' >&2\nexit 3\n"))
    detection = bp.detect(detect_ctx(tmp_path, host_executor(tmp_path)))
    assert not detection.passed
    assert detection.reasons[0] == "bin/detect failed (exit 3)"
    assert "cannot parse Gemfile.lock" in detection.reasons


ENV_DETECT = """#!/bin/sh
echo "file=$(cat "$CNB_PLATFORM_DIR/env/GREETING")"
echo "process=${GREETING:-unset}"
test -f "$CNB_BUILDPACK_DIR/buildpack.toml" && echo "descriptor=seen"
exit 0
"""


@pytest.mark.parametrize(("clear_env", "seen"), [(False, "process=hello there"), (True, "process=unset")])
def test_build_env_reaches_detect_as_platform_files_and_as_variables_unless_clear_env(
        tmp_path: Path, clear_env: bool, seen: str) -> None:  # fmt: skip
    extra = "clear-env = true\n" if clear_env else ""
    bp = CnbBuildpack.load(write_buildpack(tmp_path / "bp", "a", detect=ENV_DETECT, extra=extra))
    assert bp.clear_env is clear_env
    detection = bp.detect(detect_ctx(tmp_path, host_executor(tmp_path), {"GREETING": "hello there"}))
    assert detection.passed
    assert detection.reasons[1:] == ("file=hello there", seen, "descriptor=seen")


def test_or_alternatives_take_the_first_and_say_so(tmp_path: Path) -> None:
    script = """#!/bin/sh
cat > "$CNB_BUILD_PLAN_PATH" <<'TOML'
[[or]]
[[or.provides]]
name = "jdk"
[[or.requires]]
name = "jdk"

[[or]]
[[or.provides]]
name = "jre"
[[or.requires]]
name = "jre"
TOML
"""
    bp = CnbBuildpack.load(write_buildpack(tmp_path / "bp", "a", detect=script))
    detection = bp.detect(detect_ctx(tmp_path, host_executor(tmp_path)))
    assert detection.passed and detection.provides == ("jdk",) and detection.requires == (Require("jdk"),)
    assert any("1 [[or]] alternative(s)" in r for r in detection.reasons)


def test_a_malformed_plan_is_a_failed_detection_marked_malformed(tmp_path: Path) -> None:
    script = "#!/bin/sh\nprintf '[[requires]]\\nversion = 1\\n' > \"$CNB_BUILD_PLAN_PATH\"\n"
    bp = CnbBuildpack.load(write_buildpack(tmp_path / "bp", "a", detect=script))
    detection = bp.detect(detect_ctx(tmp_path, host_executor(tmp_path)))
    assert not detection.passed
    assert detection.malformed is not None and "every [[requires]] needs a name" in detection.malformed


def test_a_lost_exec_bit_runs_a_copy_and_leaves_the_users_dir_alone(tmp_path: Path) -> None:
    root = write_buildpack(tmp_path / "bp", "a", detect="#!/bin/sh\necho ran\n")
    (root / "bin" / "detect").chmod(0o644)
    logged: list[str] = []
    bp = CnbBuildpack.load(root)
    detection = bp.detect(detect_ctx(tmp_path, host_executor(tmp_path), log=logged))
    assert detection.passed and "ran" in detection.reasons
    assert any("not executable" in line for line in logged)
    assert (root / "bin" / "detect").stat().st_mode & 0o777 == 0o644


def test_no_executor_is_a_failed_detection_not_a_crash(tmp_path: Path) -> None:
    bp = CnbBuildpack.load(write_buildpack(tmp_path / "bp", "a"))
    detection = bp.detect(detect_ctx(tmp_path, None))
    assert not detection.passed and "needs an executor" in detection.reasons[0]
