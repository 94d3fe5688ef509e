"""Run one command, streaming its output line by line and keeping the tail for the error message."""

from __future__ import annotations

import subprocess
import threading
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from typing import IO

from builder.errors import BuildError

TAIL_LINES = 20

Log = Callable[[str], None]


def run_streaming(
    argv: Sequence[str], *, what: str, cwd: str | None, env: Mapping[str, str], log: Log | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `argv`; each output line goes to `log`; a non-zero exit raises BuildError with the last lines."""
    tail: deque[str] = deque(maxlen=TAIL_LINES)
    lock = threading.Lock()
    try:
        proc = subprocess.Popen(
            list(argv), cwd=cwd, env=dict(env), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, errors="replace",
        )  # fmt: skip
    except OSError as exc:
        raise BuildError(f"{what} could not start: {exc.strerror or exc}", f"is '{argv[0]}' installed?") from exc
    assert proc.stdout is not None and proc.stderr is not None
    out: list[str] = []
    err: list[str] = []
    readers = [threading.Thread(target=_pump, args=(stream, kept, tail, lock, log), daemon=True)
               for stream, kept in ((proc.stdout, out), (proc.stderr, err))]  # fmt: skip
    for reader in readers:
        reader.start()
    code = proc.wait()
    for reader in readers:
        reader.join()
    if code != 0:
        how = f"exit {code}" if code > 0 else f"killed by signal {-code}"
        last = "\n".join(tail) or "(no output)"
        raise BuildError(f"{what} failed ({how})", f"the last lines of its output:\n{last}")
    return subprocess.CompletedProcess(list(argv), code, "".join(out), "".join(err))


def _pump(stream: IO[str], kept: list[str], tail: deque[str], lock: threading.Lock, log: Log | None) -> None:
    with stream:
        for line in stream:
            kept.append(line)
            text = line.rstrip("\n")
            with lock:
                tail.append(text)
                if log:
                    log(text)
