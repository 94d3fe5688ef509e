"""Everything the CLI prints to stderr: logs, progress, errors.

stdout is reserved for results (the last line of a build is REPO@sha256:…),
so pipes and Tekton steps can read it; all chatter goes to stderr. On a
terminal, transfers show as rich progress bars; otherwise (CI logs) a big
transfer prints a plain line at most every few seconds and when it ends.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NoReturn

from rich.console import Console
from rich.markup import escape

if TYPE_CHECKING:  # rich.progress is imported when a terminal first shows a bar, not at every start-up
    from rich.progress import Progress, TaskID

from builder.errors import DocklessError

PLAIN_EVERY = 5.0          # seconds between plain progress lines for one item
PLAIN_MIN_BYTES = 5 << 20  # smaller transfers are not worth a progress line in a log


def _amount(done: int, total: int) -> str:
    if total >= 10_000:
        return f"{done / 1e6:.1f}/{total / 1e6:.1f} MB"
    return f"{done}/{total}" if total else str(done)


@dataclass
class Output:
    verbose: bool = False
    console: Console = field(default_factory=lambda: _Console(stderr=True, highlight=False, soft_wrap=True))
    _last: dict[str, float] = field(default_factory=dict)
    _bars: Progress | None = None
    _tasks: dict[str, TaskID] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def interactive(self) -> bool:
        return self.console.is_terminal

    def log(self, message: str) -> None:
        """A step the user should see ("cloning …", "pushing …")."""
        if self.interactive:
            self.console.print(f"[bold cyan]»[/] {escape(message)}")
        else:
            self.console.print(f"» {message}", markup=False)

    def debug(self, message: str) -> None:
        """Details (build output) shown with --verbose."""
        if self.verbose:
            self.console.print(message, markup=False, style="dim" if self.interactive else None)

    def progress(self, what: str, done: int, total: int) -> None:
        """Progress of one item (a blob upload, a download); safe to call from several threads.

        A negative `total` marks a notice rather than progress (the registry
        answered 413, so a blob goes up in chunks): always shown, as a log line.
        """
        if total < 0:
            self.log(what)  # rich prints it above any live progress bars
            return
        with self._lock:
            if self.interactive:
                self._bar(what, done, total)
            else:
                self._plain(what, done, total)

    def _bar(self, what: str, done: int, total: int) -> None:
        if self._bars is None:
            from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

            self._bars = Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
                                  TransferSpeedColumn(), console=self.console, transient=True)
            self._bars.start()
        task = self._tasks.get(what)
        if task is None:
            task = self._tasks[what] = self._bars.add_task(what, total=total or None)
        self._bars.update(task, completed=done, total=total or None)
        if total and done >= total:
            self._bars.remove_task(task)
            del self._tasks[what]
            if not self._tasks:
                self._bars.stop()
                self._bars = None

    def _plain(self, what: str, done: int, total: int) -> None:
        final = bool(total) and done >= total
        if total < PLAIN_MIN_BYTES and not self.verbose:
            return
        now = time.monotonic()
        if not final and now - self._last.get(what, 0.0) < PLAIN_EVERY:
            return
        self._last[what] = now
        self.console.print(f"  {what}: {_amount(done, total)}", markup=False)

    def close(self) -> None:
        with self._lock:
            if self._bars is not None:
                self._bars.stop()
                self._bars = None

    def error(self, err: DocklessError) -> None:
        self.close()
        if self.interactive:
            self.console.print(f"[bold red]error:[/] {escape(err.message)}")
            self.console.print(f"[yellow]hint:[/] {escape(err.hint)}")
        else:
            self.console.print(f"error: {err.message}", markup=False)
            self.console.print(f"hint: {err.hint}", markup=False)


def result(line: str) -> None:
    """A result line on stdout."""
    stdout(line + "\n")


def stdout(text: str) -> None:
    """Write results to stdout; a reader that left (`| head -1`) ends dockless as SIGPIPE ends a Unix tool."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        reader_gone()


def reader_gone() -> NoReturn:
    """Exit 141 (128 + SIGPIPE) quietly: not 1, which says "a bug in dockless"."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    for stream in (sys.stdout, sys.stderr):  # nothing for Python to fail flushing at exit
        try:
            os.dup2(devnull, stream.fileno())
        except (OSError, ValueError):
            pass
    raise SystemExit(128 + signal.SIGPIPE)


class _Console(Console):
    """rich's Console, ending on a closed stderr pipe as `stdout` does (rich's own exits 1)."""

    def on_broken_pipe(self) -> None:
        reader_gone()
