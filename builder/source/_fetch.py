"""The SOURCE stage: from a directory or a git URL to a clean workspace plus provenance.

    fetch_source(SourceSpec(source, revision, subdir), dest) -> Workspace

Later stages only ever see `dest`: version-control metadata is gone, the
project.toml file filter is applied, and `Workspace` carries what the image
labels need (redacted URL, commit, commit time) and project.toml's build env.

With `--subdir`, `dest` holds that directory, except when it is a member of a
workspace (see `_monorepo`): then `dest` holds the workspace root and
`Workspace.app_dir` says where the app is in it.
"""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from builder.errors import SourceError, UsageError

from ._clone import clone
from ._local import find_repo_root, git_ignored, read_provenance
from ._monorepo import enclosing_root
from ._project import FILENAME, ProjectDescriptor, load_project
from ._tree import Selection, populate, select_subdir
from ._url import LocalDir, classify_source, redact_url

LogFn = Callable[[str], None]


@dataclass(frozen=True)
class SourceSpec:
    """What the user asked for: SOURCE (directory or git URL), --revision, --subdir."""

    source: str = "."
    revision: str | None = None
    subdir: str | None = None


@dataclass(frozen=True)
class Workspace:
    """The clean source tree at `path` and where it came from.

    `url` is redacted (safe for labels and logs); `commit` is the full sha and
    `commit_time` the committer time (epoch seconds) when the source is a git
    checkout or a directory inside one; `build_env` comes from project.toml.
    `app_dir` is the app's directory relative to `path`: "" unless `--subdir`
    named a member of a monorepo workspace, whose root `path` then holds
    (`subdir` is "app/api" and `app_dir` "app/api" for a workspace at the
    repository root); project.toml is read from the app directory.
    """

    path: Path
    url: str | None = None
    commit: str | None = None
    commit_time: int | None = None
    revision: str | None = None
    subdir: str | None = None
    build_env: Mapping[str, str] = field(default_factory=dict)
    project: ProjectDescriptor | None = None
    app_dir: str = ""


def _quiet(message: str) -> None:
    """Default progress sink: say nothing."""


def fetch_source(spec: SourceSpec, dest: Path, *, log: LogFn = _quiet) -> Workspace:
    """Fetch `spec` into `dest` (absent or empty; removed/emptied again if this fails).

    Raises SourceError (exit 3) for anything wrong with the source and
    UsageError (exit 2) for a bad URL scheme or a malformed project.toml;
    ValueError when `dest` is not empty (a caller bug).
    """
    location = classify_source(spec.source)
    created = _prepare(dest)
    try:
        if isinstance(location, LocalDir):
            return _from_directory(location.path, spec, dest, log)
        return _from_git(location.url, spec, dest, log)
    except BaseException:
        _discard(dest, created)
        raise


def _from_git(url: str, spec: SourceSpec, dest: Path, log: LogFn) -> Workspace:
    shown = redact_url(url)
    scratch = Path(tempfile.mkdtemp(prefix=".dockless-clone-", dir=dest.parent))
    try:
        checkout = clone(url, scratch / "repo", spec.revision, log=log)
        where = f"{shown} at {checkout.commit[:12]}"
        tree, subdir = select_subdir(checkout.tree, spec.subdir, where=where)
        project = _project(tree)
        top, app_dir = _workspace_root(checkout.tree, tree, subdir, log)
        count = populate(top, dest, selection=_selection(project), move=True, scope=app_dir, log=log)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    log(f"workspace: {count} files from {where}{f' ({subdir})' if subdir else ''}")
    return Workspace(path=dest, url=shown, commit=checkout.commit, commit_time=checkout.commit_time,
                     revision=spec.revision, subdir=subdir, build_env=dict(project.env) if project else {},
                     project=project, app_dir=app_dir)


def _from_directory(path: Path, spec: SourceSpec, dest: Path, log: LogFn) -> Workspace:
    if not path.is_dir():
        state = "is not a directory" if path.exists() else "does not exist"
        raise SourceError(f"source directory '{path}' {state}",
                          hint="give a directory or a git URL "
                               "(https://, ssh://, git://, file://, git@host:org/repo.git)")
    root = path.resolve()
    if root == dest.resolve():
        raise ValueError(f"the workspace {dest} cannot be the source directory itself")
    if spec.revision is not None:
        return _directory_at_revision(root, spec, dest, log)
    tree, subdir = select_subdir(root, spec.subdir, where=str(path))
    project = _project(tree)
    top, app_dir = _workspace_root(root, tree, subdir, log)
    log(f"using directory {path}{f' ({subdir})' if subdir else ''}")
    ignored = _ignored(top, project, log)
    count = populate(top, dest, selection=_selection(project), move=False, skip=dest, scope=app_dir,
                     ignored=ignored, log=log)
    origin = read_provenance(root, log=log)
    log(f"workspace: {count} files" + (f" (git commit {origin.commit[:12]})" if origin else ""))
    return Workspace(path=dest, url=origin.url if origin else None, commit=origin.commit if origin else None,
                     commit_time=origin.commit_time if origin else None, revision=None, subdir=subdir,
                     build_env=dict(project.env) if project else {}, project=project, app_dir=app_dir)


def _ignored(top: Path, project: ProjectDescriptor | None, log: LogFn) -> frozenset[str]:
    """What git ignores under `top`, left out as a clone would leave it out; none when project.toml `include`
    says exactly what to take. Outside a work tree, a `.env` that ships is said out loud."""
    if project is not None and project.include:
        return frozenset()
    ignored = git_ignored(top, log=log)
    if ignored is None:
        if (top / ".env").is_file():
            log("note: .env is built into the image (no git work tree here says to ignore it); "
                "if it holds secrets, add it to project.toml [io.buildpacks] exclude")
        return frozenset()
    if ignored:
        shown = ", ".join(sorted(ignored)[:6]) + (f" and {len(ignored) - 6} more" if len(ignored) > 6 else "")
        log(f"leaving out what git ignores, as a clone would: {shown} "
            "(project.toml [io.buildpacks] include takes them)")
    return ignored


def _workspace_root(root: Path, tree: Path, subdir: str | None, log: LogFn) -> tuple[Path, str]:
    """The tree to copy and the app's place in it: `tree` itself, or the workspace root it is a member of."""
    if subdir is None:
        return tree, ""
    enclosing = enclosing_root(root, subdir, log=log)
    if enclosing is None:
        return tree, ""
    return (root / enclosing.root if enclosing.root else root), enclosing.app_dir


def _directory_at_revision(root: Path, spec: SourceSpec, dest: Path, log: LogFn) -> Workspace:
    """`--revision` with a local repository: clone that revision from it, not the working tree."""
    repo_root = find_repo_root(root)
    if repo_root is None:
        raise UsageError(f"--revision needs a git repository, and {spec.source} is a plain directory",
                         hint="drop --revision, or give the repository's git URL")
    inner = root.relative_to(repo_root.resolve()).as_posix()
    parts = [p for p in (inner if inner != "." else "", spec.subdir or "") if p]
    log(f"--revision given: building {spec.revision} of the repository at {repo_root}, not its working tree")
    workspace = _from_git(repo_root.as_uri(), dataclasses.replace(spec, subdir="/".join(parts) or None), dest, log)
    origin = read_provenance(repo_root, log=lambda _: None)
    subdir = PurePosixPath(spec.subdir).as_posix() if spec.subdir else None
    return dataclasses.replace(workspace, url=origin.url if origin else None, subdir=subdir)


def _project(tree: Path) -> ProjectDescriptor | None:
    candidate = tree / FILENAME
    if candidate.is_symlink() and not candidate.resolve().is_relative_to(tree.resolve()):
        return None
    return load_project(candidate)


def _selection(project: ProjectDescriptor | None) -> Selection | None:
    return Selection.of(project.include, project.exclude) if project else None


def _prepare(dest: Path) -> bool:
    """Make sure `dest` is an empty directory; True when this call created it."""
    if dest.exists() or dest.is_symlink():
        if not dest.is_dir() or any(dest.iterdir()):
            raise ValueError(f"workspace directory {dest} must be absent or empty")
        return False
    dest.mkdir(parents=True)
    return True


def _discard(dest: Path, created: bool) -> None:
    if created:
        shutil.rmtree(dest, ignore_errors=True)
        return
    for child in dest.iterdir() if dest.is_dir() else ():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)
