"""Run the real `dockless` command in a subprocess, as a user or a CI step would."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str

    @property
    def last_line(self) -> str:
        lines = self.stdout.strip().splitlines()
        return lines[-1] if lines else ""


def dockless(*args: str, docker_config: Path | None = None, cache_dir: Path | None = None,
             env: Mapping[str, str] | None = None, timeout: float = 1200, cwd: Path | None = None) -> Run:
    full_env = {**os.environ, **(env or {})}
    if docker_config is not None:
        full_env["DOCKER_CONFIG"] = str(docker_config)
    if cache_dir is not None:
        full_env["DOCKLESS_CACHE_DIR"] = str(cache_dir)
    p = subprocess.run([sys.executable, "-m", "builder", *args], capture_output=True, text=True,
                       env=full_env, timeout=timeout, stdin=subprocess.DEVNULL, cwd=cwd)
    return Run(p.returncode, p.stdout, p.stderr)


def assert_clean_error(run: Run, code: int, *words: str) -> None:
    """A failed run: the expected exit code, an error line with a hint, and no traceback."""
    assert run.code == code, (run.code, run.stderr)
    assert "Traceback" not in run.stderr
    assert "error: " in run.stderr and "hint: " in run.stderr, run.stderr
    for w in words:
        assert w in run.stderr, (w, run.stderr)


def run_in_process(args: list[str], capsys: pytest.CaptureFixture[str]) -> Run:
    """`dockless ARGS` in this process (the production `main`, its exit code and streams), as a Run."""
    from builder.cli import main

    with pytest.raises(SystemExit) as exit_:
        main(args)
        raise SystemExit(0)
    out = capsys.readouterr()
    return Run(int(exit_.value.code or 0), out.out, out.err)
