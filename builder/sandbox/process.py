"""Run one command, streaming its output line by line and keeping the tail for the error message.

stdout and stderr are read by two threads, so their relative order is only as good as
arrival; a command that floods stdout must not push its actual error out of the
message, so the last stderr lines are always kept beside the last lines overall.
The first lines that say "error" are kept too: compilers (gcc, tsc, javac), npm and
pip print the cause first and then pages of consequences, usage text or warnings, so
the tail alone often ends in "make: *** Error 1" or `npm ci`'s usage.
"""

from __future__ import annotations

import itertools
import re
import subprocess
import threading
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import IO

from builder.errors import BuildError

TAIL_LINES = 20
STDERR_LINES = 10
FIRST_ERROR_LINES = 6

# "error" or "fatal" as a word, as gcc ("x.c:3: error:"), npm ("npm error"), tsc ("error TS2322"), pip
# ("ERROR:"), Maven ("[ERROR]") and go ("fatal error") write it; not "-Werror" or "0 errors".
_ERROR = re.compile(r"(?i)(?<![-\w])(error|fatal)(?![-\w])")

Log = Callable[[str], None]


class _Tail:
    """The last lines overall, the last stderr lines and the first error lines, each numbered by arrival."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.counter: Iterator[int] = itertools.count()
        self.all: deque[tuple[int, str]] = deque(maxlen=TAIL_LINES)
        self.err: deque[tuple[int, str]] = deque(maxlen=STDERR_LINES)
        self.first_errors: list[tuple[int, str]] = []

    def add(self, text: str, is_err: bool, log: Log | None) -> None:
        with self.lock:
            item = (next(self.counter), text)
            self.all.append(item)
            if is_err:
                self.err.append(item)
            if len(self.first_errors) < FIRST_ERROR_LINES and _ERROR.search(text):
                self.first_errors.append(item)
            if log:
                log(text)

    def text(self) -> str:
        """The kept lines in arrival order; "…" marks where lines in between were left out."""
        kept = sorted(set(self.all) | set(self.err) | set(self.first_errors))
        lines: list[str] = []
        for i, (number, text) in enumerate(kept):
            if i and number != kept[i - 1][0] + 1:
                lines.append("…")
            lines.append(text)
        return "\n".join(lines) or "(no output)"


def run_streaming(
    argv: Sequence[str], *, what: str, cwd: str | None, env: Mapping[str, str], log: Log | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `argv`; each output line goes to `log`; a non-zero exit raises BuildError with the last lines."""
    try:
        proc = subprocess.Popen(
            list(argv), cwd=cwd, env=dict(env), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, errors="replace",
        )  # fmt: skip
    except OSError as exc:
        raise BuildError(f"{what} could not start: {exc.strerror or exc}", f"is '{argv[0]}' installed?") from exc
    assert proc.stdout is not None and proc.stderr is not None
    tail = _Tail()
    out: list[str] = []
    err: list[str] = []
    readers = [threading.Thread(target=_pump, args=(stream, kept, is_err, tail, log), daemon=True)
               for stream, kept, is_err in ((proc.stdout, out, False), (proc.stderr, err, True))]  # fmt: skip
    for reader in readers:
        reader.start()
    code = proc.wait()
    for reader in readers:
        reader.join()
    if code != 0:
        how = f"exit {code}" if code > 0 else f"killed by signal {-code}"
        raise BuildError(f"{what} failed ({how})",
                         f"the first error lines and the last lines of its output:\n{tail.text()}")
    return subprocess.CompletedProcess(list(argv), code, "".join(out), "".join(err))


def _pump(stream: IO[str], kept: list[str], is_err: bool, tail: _Tail, log: Log | None) -> None:
    with stream:
        for line in stream:
            kept.append(line)
            tail.add(line.rstrip("\n"), is_err, log)
