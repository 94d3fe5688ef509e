"""A real `git daemon` serving throwaway repositories at git://127.0.0.1:PORT/NAME.git.

dockless clones from URLs; this gives tests real URLs with reproducible commit
ids (fixed author, committer and dates, no user/system git config), without
any network access beyond loopback.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .procs import BackgroundProcess, require_tool, run, start_on_free_port

# 2024-01-01T00:00:00Z; commit N of a repository is dated N minutes later.
_EPOCH = 1704067200


def git_env(home: Path, commit_index: int = 0) -> dict[str, str]:
    """Environment that makes git deterministic: no ambient config, fixed identity and dates."""
    date = f"{_EPOCH + 60 * commit_index} +0000"
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_AUTHOR_NAME": "Dockless Test",
        "GIT_AUTHOR_EMAIL": "test@dockless.invalid",
        "GIT_AUTHOR_DATE": date,
        "GIT_COMMITTER_NAME": "Dockless Test",
        "GIT_COMMITTER_EMAIL": "test@dockless.invalid",
        "GIT_COMMITTER_DATE": date,
    }


@dataclass(frozen=True)
class GitDaemon:
    """A running git daemon; repos live bare under `base_path`, authored in `work_path`."""

    port: int
    base_path: Path
    work_path: Path

    def url(self, name: str) -> str:
        return f"git://127.0.0.1:{self.port}/{name}.git"

    def _git(self, name: str, *args: str, commit_index: int = 0) -> str:
        proc = run(["git", "-C", str(self.work_path / name), *args],
                   env=git_env(self.work_path, commit_index))
        return proc.stdout.decode().strip()

    def _next_index(self, name: str) -> int:
        return int(self._git(name, "rev-list", "--count", "HEAD"))

    def publish_repo(self, name: str, src_dir: Path, *, message: str = "Initial commit") -> str:
        """Commit a copy of `src_dir` (its own .git ignored) as branch main; return the URL."""
        work = self.work_path / name
        bare = self.base_path / f"{name}.git"
        if work.exists() or bare.exists():
            raise ValueError(f"repository {name!r} already published")
        shutil.copytree(src_dir, work, symlinks=True, ignore=shutil.ignore_patterns(".git"))
        self._git(name, "init", "--quiet", "--initial-branch=main")
        self._git(name, "add", "--all")
        self._git(name, "commit", "--quiet", "--allow-empty", "-m", message)
        bare.parent.mkdir(parents=True, exist_ok=True)
        run(["git", "clone", "--quiet", "--bare", str(work), str(bare)],
            env=git_env(self.work_path))
        self._git(name, "remote", "add", "origin", str(bare))
        return self.url(name)

    def commit_change(self, name: str, relpath: str, content: str | bytes,
                      *, message: str | None = None) -> str:
        """Write one file, commit it on main, push to the served repo; return the commit sha."""
        target = self.work_path / name / relpath
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content.encode() if isinstance(content, str) else content)
        index = self._next_index(name)
        self._git(name, "add", "--all", "--", relpath)
        self._git(name, "commit", "--quiet", "--allow-empty", "-m", message or f"Update {relpath}",
                  commit_index=index)
        self._git(name, "push", "--quiet", "origin", "main")
        return self.head(name)

    def tag(self, name: str, tag: str) -> str:
        """Create and push a lightweight tag at HEAD; return the commit sha it points to."""
        self._git(name, "tag", tag)
        self._git(name, "push", "--quiet", "origin", f"refs/tags/{tag}")
        return self.head(name)

    def head(self, name: str) -> str:
        return self._git(name, "rev-parse", "HEAD")


@contextmanager
def running_git_daemon(workdir: Path) -> Iterator[GitDaemon]:
    """Start `git daemon` (export-all, receive-pack on) on a free loopback port."""
    require_tool("git")
    base = workdir / "repos"
    work = workdir / "work"
    base.mkdir(parents=True, exist_ok=True)
    work.mkdir(parents=True, exist_ok=True)

    def make(port: int) -> BackgroundProcess:
        return BackgroundProcess(
            ["git", "daemon", "--export-all", f"--base-path={base}", "--reuseaddr",
             f"--port={port}", "--listen=127.0.0.1", "--enable=receive-pack",
             "--informative-errors", "--verbose"],
            workdir / "git-daemon.log", env=git_env(work))

    server, port = start_on_free_port(make, name="git daemon")
    try:
        yield GitDaemon(port=port, base_path=base, work_path=work)
    finally:
        server.stop()
