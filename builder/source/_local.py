"""Provenance of a local directory that lives in a git working tree, and the files git ignores there.

A local source is built as it is on disk (uncommitted edits included), but
when it sits in a git repository the commit, its time and the remote URL
still make useful OCI labels and a reproducible `created` time. This is best
effort: a directory git will not read (no repo, unborn HEAD) simply has no
provenance. A tree owned by another uid is read all the same: in a Tekton or
Knative step the clone was written by another step's user, and git's "dubious
ownership" guard is about running that repository's config (fsmonitor hooks),
which these read-only commands turn off; actions/checkout and Tekton's git-clone
mark the workspace safe for the same reason.

A local work tree is built as its clone would be, plus uncommitted edits: the
untracked files git ignores (`.env`, `node_modules/`, `__pycache__/`, a stale
`target/`) are not part of it (`git_ignored`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from builder.errors import SourceError

from ._gitcmd import gitpython
from ._url import redact_url

LogFn = Callable[[str], None]


@dataclass(frozen=True)
class LocalProvenance:
    root: Path
    commit: str
    commit_time: int
    url: str | None


def read_only_env(environ: Mapping[str, str]) -> dict[str, str]:
    """Config for git's read-only commands here, as GIT_CONFIG_COUNT entries after any the caller has.

    `safe.directory=*` (any owner) with `core.fsmonitor=false` (never run a hook the repository names).
    Environment config has command-line scope, which is where git honours safe.directory (git-config(1)).
    """
    try:
        start = int(environ.get("GIT_CONFIG_COUNT", "0"))
    except ValueError:
        start = 0
    env = {"GIT_CONFIG_COUNT": str(start + 2)}
    for i, (key, value) in enumerate((("safe.directory", "*"), ("core.fsmonitor", "false")), start):
        env[f"GIT_CONFIG_KEY_{i}"] = key
        env[f"GIT_CONFIG_VALUE_{i}"] = value
    return env


def _reason(err: BaseException) -> str:
    """git's own first message line (stderr without "fatal: "), else the error's first line."""
    stderr = str(getattr(err, "stderr", "") or "").strip().strip("'").strip()
    for line in (stderr or str(err)).splitlines():
        line = line.strip().removeprefix("stderr:").strip().strip("'").removeprefix("fatal:").strip()
        if line:
            return line
    return type(err).__name__


def _read_only(handle: Any) -> Any:
    """`handle` (a git.Git) with read_only_env applied to every command it runs."""
    handle.update_environment(**read_only_env(os.environ))
    return handle


def find_repo_root(directory: Path) -> Path | None:
    """The working tree root of the repository holding `directory`, if any (git must exist)."""
    git = gitpython()
    try:
        repo = git.Repo(directory, search_parent_directories=True)
    except (git.exc.GitError, OSError):
        return None
    with repo:
        return Path(repo.working_tree_dir) if repo.working_tree_dir else None


def _may_be_in_work_tree(directory: Path) -> bool:
    """Whether `directory` or a parent holds a `.git` (a directory, or the file of a worktree or submodule).

    A cheap look before importing GitPython (~50 ms of a command's start-up) for sources outside any repo.
    """
    here = directory.resolve()
    return any((d / ".git").exists() for d in (here, *here.parents))


def read_provenance(directory: Path, *, log: LogFn) -> LocalProvenance | None:
    """HEAD's commit and time and the (redacted) `origin` or first remote URL, or None."""
    if not _may_be_in_work_tree(directory):
        return None
    try:
        git = gitpython()
        repo = git.Repo(directory, search_parent_directories=True)
    except SourceError:
        log("git is not installed: no commit information for the image labels")
        return None
    except (git.exc.GitError, OSError):
        return None
    with repo:
        _read_only(repo.git)
        try:
            head = repo.head.commit
            commit, when = head.hexsha, int(head.committed_date)
            remotes = {r.name: r for r in repo.remotes}
            remote = remotes.get("origin") or next(iter(remotes.values()), None)
            url = redact_url(remote.url) if remote is not None else None
            # only changes under the directory being built matter (a monorepo's other apps don't)
            if repo.is_dirty(untracked_files=True, path=str(directory.resolve())):
                log(f"note: {directory} has uncommitted changes; they are built, but the "
                    f"revision label says {commit[:12]}")
        except (git.exc.GitError, OSError, ValueError) as err:
            log(f"not reading git metadata of {directory}: {_reason(err)}")
            return None
        root = Path(repo.working_tree_dir) if repo.working_tree_dir else directory
        return LocalProvenance(root=root, commit=commit, commit_time=when, url=url)


def git_ignored(top: Path, *, log: LogFn) -> frozenset[str] | None:
    """The untracked paths under `top` that git ignores (`.gitignore`, `.git/info/exclude`, core.excludesFile).

    Relative to `top`, '/'-separated, a wholly ignored directory as one path without its
    trailing '/' (`git ls-files --others --ignored --exclude-standard --directory`).
    None when `top` is in no work tree git will read; tracked files are never listed.
    """
    if not _may_be_in_work_tree(top):
        return None
    try:
        git = gitpython()
        out = _read_only(git.Git(str(top))).ls_files("-z", "--others", "--ignored", "--exclude-standard",
                                                      "--directory")
    except SourceError:
        return None
    except (git.exc.GitError, OSError) as err:
        log(f"not reading which files git ignores in {top}: {_reason(err)}")
        return None
    return frozenset(p.rstrip("/") for p in out.split("\0") if p.strip("/"))
