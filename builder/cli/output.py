"""Everything the CLI prints to stderr: logs, progress, errors.

stdout is reserved for results (the last line of a build is REPO@sha256:…),
so pipes and Tekton steps can read it; all chatter goes to stderr, as rich
progress bars on a terminal and plain lines otherwise.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field

from rich.console import Console
from rich.markup import escape

from builder.errors import DocklessError


@dataclass
class Output:
    verbose: bool = False
    console: Console = field(default_factory=lambda: Console(stderr=True, highlight=False, soft_wrap=True))
    _last: dict[str, float] = field(default_factory=dict)

    @property
    def interactive(self) -> bool:
        return self.console.is_terminal

    def log(self, message: str) -> None:
        """A step the user should see ("cloning …", "pushing …")."""
        self.console.print(f"[bold cyan]»[/] {escape(message)}" if self.interactive else f"» {message}", markup=self.interactive)

    def debug(self, message: str) -> None:
        if self.verbose:
            self.console.print(message, markup=False, style="dim" if self.interactive else None)

    def progress(self, what: str, done: int, total: int) -> None:
        """Throttled progress lines: at most one per item per second, plus the final one."""
        now = time.monotonic()
        final = total and done >= total
        if not final and now - self._last.get(what, 0) < 1.0:
            return
        self._last[what] = now
        if self.verbose or final:
            amount = f"{done}/{total}" if total else f"{done}"
            self.debug(f"  {what}: {amount}")

    def error(self, err: DocklessError) -> None:
        out = self.console
        if self.interactive:
            out.print(f"[bold red]error:[/] {escape(err.message)}", markup=True, highlight=False)
            out.print(f"[yellow]hint:[/] {escape(err.hint)}", markup=True, highlight=False)
        else:
            out.print(f"error: {err.message}", markup=False)
            out.print(f"hint: {err.hint}", markup=False)


def result(line: str) -> None:
    """A result line on stdout."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()
