"""A failed command's hint keeps the cause: the first error lines beside the last lines (real processes)."""

from __future__ import annotations

import pytest

from builder.errors import BuildError
from builder.sandbox.process import FIRST_ERROR_LINES, TAIL_LINES, run_streaming


def failing(script: str) -> str:
    with pytest.raises(BuildError) as caught:
        run_streaming(["sh", "-c", script], what="the step", cwd=None, env={"PATH": "/usr/bin:/bin"})
    return caught.value.hint


def test_the_cause_printed_first_survives_pages_of_usage_text() -> None:
    # npm ci's shape: the reason, then the command's whole usage, all as "npm error" on stderr
    hint = failing("echo 'npm error `npm ci` can only install packages when in sync' >&2; "
                   "echo 'npm error Missing: cors@2.8.6 from lock file' >&2; "
                   "for i in $(seq 60); do echo \"npm error usage line $i\" >&2; done; exit 1")
    lines = hint.splitlines()
    assert lines[0] == "the first error lines and the last lines of its output:"
    assert lines[1:3] == ["npm error `npm ci` can only install packages when in sync",
                          "npm error Missing: cors@2.8.6 from lock file"]
    assert "…" in lines and lines[-1] == "npm error usage line 60"
    assert len(lines) <= 1 + FIRST_ERROR_LINES + 1 + TAIL_LINES


def test_a_compiler_error_is_kept_while_warnings_and_make_fill_the_tail() -> None:
    hint = failing("echo 'x.cc:10:5: warning: this statement may fall through [-Wimplicit-fallthrough]'; "
                   "echo \"x.cc:12:8: error: 'class v8::Object' has no member named 'GetPrototype'\"; "
                   "for i in $(seq 40); do echo \"x.cc:$i: warning: unused [-Werror=unused]\"; done; "
                   "echo 'make: *** [x.target.mk:1: x.o] Error 1'; exit 2")  # one stream: arrival order is exact
    assert "x.cc:12:8: error: 'class v8::Object' has no member named 'GetPrototype'" in hint
    assert hint.rstrip().endswith("make: *** [x.target.mk:1: x.o] Error 1")
    assert "x.cc:1: warning" not in hint  # -Werror is not the word error: those warnings are not kept


def test_short_output_is_whole_and_unmarked() -> None:
    hint = failing("echo one; echo two; exit 3")
    assert hint.splitlines()[1:] == ["one", "two"]
