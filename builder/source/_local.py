"""Provenance of a local directory that lives in a git working tree, and the files git ignores there.

A local source is built as it is on disk (uncommitted edits included), but
when it sits in a git repository the commit, its time and the remote URL
still make useful OCI labels and a reproducible `created` time. This is best
effort: a directory git will not read (no repo, unborn HEAD, "dubious
ownership" in a CI container) simply has no provenance.

A local work tree is built as its clone would be, plus uncommitted edits: the
untracked files git ignores (`.env`, `node_modules/`, `__pycache__/`, a stale
`target/`) are not part of it (`git_ignored`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

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
            reason = str(err).splitlines()[0] if str(err) else type(err).__name__
            log(f"not reading git metadata of {directory}: {reason}")
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
        out = git.Git(str(top)).ls_files("-z", "--others", "--ignored", "--exclude-standard", "--directory")
    except SourceError:
        return None
    except (git.exc.GitError, OSError) as err:
        reason = str(err).strip().splitlines()[-1] if str(err).strip() else type(err).__name__
        log(f"not reading which files git ignores in {top}: {reason}")
        return None
    return frozenset(p.rstrip("/") for p in out.split("\0") if p.strip("/"))
