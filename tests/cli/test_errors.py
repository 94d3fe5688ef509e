"""Every error kind has its own exit code, and the CLI prints one line and a hint, never a traceback."""

from __future__ import annotations

import inspect
import io

import pytest
from rich.console import Console

import builder.errors as errors
from builder.cli import main
from builder.cli.output import Output


def error_classes() -> list[type[errors.DocklessError]]:
    return [c for _, c in inspect.getmembers(errors, inspect.isclass) if issubclass(c, errors.DocklessError)]


def test_exit_codes_are_distinct_except_for_subtypes_of_one_kind() -> None:
    by_code: dict[int, list[type]] = {}
    for cls in error_classes():
        by_code.setdefault(cls.exit_code, []).append(cls)
    for code, classes in by_code.items():
        roots = [c for c in classes if not any(issubclass(c, o) and c is not o for o in classes)]
        assert len(roots) == 1, f"exit code {code} is shared by unrelated errors {classes}"
    assert errors.DocklessError.exit_code == 1
    assert {c.exit_code for c in error_classes()} >= set(range(1, 13))


def test_every_error_has_a_hint() -> None:
    for cls in error_classes():
        err = cls("something went wrong")
        assert err.hint and err.hint != err.message


def test_registry_errors_know_when_to_retry() -> None:
    assert errors.RegistryError("x", status=503).temporary
    assert errors.RegistryError("x", status=429).temporary
    assert not errors.RegistryError("x", status=404).temporary
    assert errors.RegistryError("x", status=400, codes=("TOOMANYREQUESTS",)).temporary


def run_main(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_:
        main(args)
        raise SystemExit(0)
    out = capsys.readouterr()
    return int(exit_.value.code or 0), out.out, out.err


def test_usage_errors_exit_2_with_a_hint(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(["copy"], capsys)
    assert code == 2
    assert "error: Missing argument 'SRC'" in err and "hint: " in err
    code, _, err = run_main(["inspect", "UPPER/Case"], capsys)
    assert code == 2 and "not a valid image reference" in err and "Traceback" not in err


def test_unexpected_exceptions_are_one_line_without_traceback(capsys: pytest.CaptureFixture[str],
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    import builder.cli.inspect as inspect_module

    def boom(*_: object) -> None:
        raise RuntimeError("kaboom")

    monkeypatch.setattr(inspect_module, "read_image", boom)
    monkeypatch.setattr(inspect_module, "read_tree", boom)
    code, _, err = run_main(["inspect", "oci:/nonexistent"], capsys)
    assert code == 1
    assert "internal error: RuntimeError: kaboom" in err and "Traceback" not in err


def test_plain_progress_is_throttled_and_skips_small_items() -> None:
    buf = io.StringIO()
    out = Output(console=Console(file=buf, force_terminal=False, width=200))
    out.progress("exists abc", 100, 100)                # small: not worth a line
    for done in range(0, 50 << 20, 1 << 20):           # big: first line, then throttled
        out.progress("upload def", done, 50 << 20)
    out.progress("upload def", 50 << 20, 50 << 20)     # the end is always shown
    lines = buf.getvalue().splitlines()
    assert lines == ["  upload def: 0.0/52.4 MB", "  upload def: 52.4/52.4 MB"]


def test_messages_with_brackets_are_printed_literally() -> None:
    buf = io.StringIO()
    out = Output(console=Console(file=buf, force_terminal=True, width=200, color_system=None))
    out.log("installing [bold]deps[/bold]")
    out.error(errors.BuildError("npm ci failed [exit 1]"))
    text = buf.getvalue()
    assert "[bold]deps[/bold]" in text and "npm ci failed [exit 1]" in text


def test_cross_architecture_builds_are_refused_up_front(capsys: pytest.CaptureFixture[str], tmp_path) -> None:  # type: ignore[no-untyped-def]
    code, _, err = run_main(["build", str(tmp_path), "--image", f"oci:{tmp_path}/out", "--platform", "linux/s390x",
                             "--cache-dir", str(tmp_path / "cache")], capsys)
    assert code == 2 and "building for linux/s390x" in err and "not supported" in err


@pytest.mark.parametrize("stderr_too", [False, True])
def test_a_reader_that_leaves_early_ends_dockless_as_sigpipe_does_not_as_a_bug(tmp_path, stderr_too: bool) -> None:  # type: ignore[no-untyped-def]
    """`dockless detect … | head -1` (and with 2>&1): exit 141 (128 + SIGPIPE), never 1, which says "a bug"."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    app = Path(__file__).resolve().parents[2] / "examples" / "static-site"
    read, write = os.pipe()
    os.close(read)  # the reader is gone before dockless writes anything
    err = tmp_path / "err"
    with err.open("wb") as err_file:
        proc = subprocess.run([sys.executable, "-m", "builder", "detect", str(app), "-v"], stdout=write,
                              stderr=write if stderr_too else err_file, timeout=120, check=False)
    os.close(write)
    assert proc.returncode == 141
    assert "internal error" not in err.read_text() and "Traceback" not in err.read_text()


def test_a_cache_dir_that_cannot_be_one_is_a_usage_error(capsys: pytest.CaptureFixture[str], tmp_path,  # type: ignore[no-untyped-def]
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    afile = tmp_path / "afile"
    afile.write_text("x")
    monkeypatch.setenv("DOCKLESS_CACHE_DIR", str(afile))
    code, _, err = run_main(["build", str(tmp_path), "--image", f"oci:{tmp_path}/out"], capsys)
    assert code == 2 and "cannot use" in err and "DOCKLESS_CACHE_DIR" in err and "not a directory" in err
    assert "internal error" not in err
