"""Turn a source tree into the clean workspace the build sees.

The workspace is what detectors read and buildpacks turn into the app layer,
so it is where version-control metadata and filtered-out files disappear once,
for every later stage. Symlinks stay symlinks (apps rely on them) unless they
lead outside the tree: a build must not read the builder host's files through
a link planted in a repository.
"""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from builder.errors import SourceError

from ._patterns import PatternSet

# Version-control metadata, dropped at any depth (a `.git` *file* is a submodule's gitfile).
VCS_NAMES = frozenset({".git", ".hg", ".svn"})

# Names the app layer must never contain, at any depth. They stay in the
# workspace because the build may need them (npm reads .npmrc for a private
# registry); whoever writes the app layer leaves them out.
#   .git     history, and possibly credentials in .git/config remote URLs
#   .npmrc   registry auth tokens
#   .docker  docker config.json with registry credentials
NEVER_SHIP = frozenset({".git", ".npmrc", ".docker"})

LogFn = Callable[[str], None]


@dataclass(frozen=True)
class Selection:
    """project.toml's file filter: keep only `include` matches, or drop `exclude` matches."""

    patterns: PatternSet
    include: bool

    @classmethod
    def of(cls, include: tuple[str, ...], exclude: tuple[str, ...]) -> Selection | None:
        if include:
            return cls(PatternSet.compile(include), include=True)
        if exclude:
            return cls(PatternSet.compile(exclude), include=False)
        return None


def select_subdir(root: Path, subdir: str | None, *, where: str) -> tuple[Path, str | None]:
    """The directory to build and its normalised name; refuse paths that leave `root`."""
    if not subdir or subdir.strip("/") in ("", "."):
        return root, None
    rel = PurePosixPath(subdir)
    if rel.is_absolute() or ".." in rel.parts:
        raise SourceError(f"--subdir {subdir!r} must stay inside the source tree",
                          hint="give a relative path without '..', e.g. --subdir services/web")
    if VCS_NAMES.intersection(rel.parts):
        raise SourceError(f"--subdir {subdir!r} points into version-control metadata",
                          hint="give the directory that holds the app, e.g. --subdir services/web")
    real_root = root.resolve()
    target = (root / rel).resolve()
    if not target.is_relative_to(real_root):
        raise SourceError(f"--subdir {subdir!r} is a symlink that leads outside the source tree",
                          hint="point --subdir at a real directory inside the repository")
    if target.exists() and not target.is_dir():
        raise SourceError(f"--subdir {subdir!r} is a file in {where}, not a directory",
                          hint=f"give the directory that holds the app, e.g. --subdir {rel.parent.as_posix()}")
    if not target.is_dir():
        raise SourceError(f"--subdir {subdir!r} does not exist in {where}",
                          hint="check the path (it is relative to the repository root) and the revision")
    return target, rel.as_posix()


def populate(src: Path, dest: Path, *, selection: Selection | None, move: bool,
             skip: Path | None = None, scope: str = "", ignored: frozenset[str] = frozenset(), log: LogFn) -> int:
    """Copy (or move, for a throwaway clone) `src` into the empty `dest`; return the file count.

    Drops VCS_NAMES at any depth, `skip` (the destination itself when it lies
    inside a local source), symlinks leading outside `src`, and special files.
    Keeps file permission bits (the exec bit matters) without setuid/setgid.
    `scope` (a relative directory) limits `selection` to that directory, with
    its patterns relative to it: the app's project.toml when the workspace is
    the workspace root of a monorepo and the app one of its members.
    `ignored` holds paths relative to `src` ('/'-separated; a directory's without
    its trailing '/') left out whole: the untracked files git ignores.
    """
    walker = _Walker(src.resolve(), dest, selection, move, skip.resolve() if skip else None, log, scope, ignored)
    walker.walk(walker.root, "", parent_matched=False)
    for directory, mode in reversed(walker.dir_modes):
        os.chmod(directory, mode | stat.S_IRWXU)
    return walker.files


class _Walker:
    def __init__(self, root: Path, dest: Path, selection: Selection | None, move: bool,
                 skip: Path | None, log: LogFn, scope: str = "", ignored: frozenset[str] = frozenset()) -> None:
        self.root, self.dest, self.selection, self.move, self.skip, self.log = root, dest, selection, move, skip, log
        self.ignored = ignored
        self.scope = scope.strip("/") + "/" if scope.strip("/") else ""
        self.root_prefix = str(root) + os.sep
        self.dir_modes: list[tuple[Path, int]] = []
        self.files = 0

    def walk(self, directory: Path, rel: str, *, parent_matched: bool) -> None:
        with os.scandir(directory) as it:
            entries = sorted(it, key=lambda e: e.name)
        for entry in entries:
            if entry.name in VCS_NAMES:
                continue
            relpath = f"{rel}/{entry.name}" if rel else entry.name
            path = Path(entry.path)
            if (self.skip is not None and path == self.skip) or relpath in self.ignored:
                continue
            is_dir = entry.is_dir(follow_symlinks=False)
            filtered = self.selection is not None and relpath.startswith(self.scope)
            matched = parent_matched or (filtered and self._matches(relpath[len(self.scope):], is_dir))
            if is_dir:
                self._directory(path, relpath, entry, matched, filtered)
            elif self._keep(matched, filtered):
                self._leaf(path, relpath, entry)

    def _matches(self, relpath: str, is_dir: bool) -> bool:
        return bool(self.selection and self.selection.patterns.matches(relpath, is_dir))

    def _keep(self, matched: bool, filtered: bool) -> bool:
        if self.selection is None or not filtered:
            return True
        return matched if self.selection.include else not matched

    def _directory(self, path: Path, relpath: str, entry: os.DirEntry[str], matched: bool, filtered: bool) -> None:
        excluded = filtered and self.selection is not None and not self.selection.include and matched
        if excluded:
            return
        target = self.dest / relpath
        # Without a filter (or for a matched include) empty directories are kept too.
        if self._keep(matched, filtered):
            target.mkdir(parents=True, exist_ok=True)
        self.walk(path, relpath, parent_matched=matched)
        if target.is_dir():
            self.dir_modes.append((target, stat.S_IMODE(entry.stat(follow_symlinks=False).st_mode) & 0o777))

    def _leaf(self, path: Path, relpath: str, entry: os.DirEntry[str]) -> None:
        target = self.dest / relpath
        if entry.is_symlink():
            link = os.readlink(path)
            real = os.path.realpath(path)
            inside = real == str(self.root) or real.startswith(self.root_prefix)
            if os.path.isabs(link) or not inside:
                self.log(f"skipping symlink {relpath} -> {link} (it leads outside the source tree)")
                return
            target.parent.mkdir(parents=True, exist_ok=True)
            os.symlink(link, target)
        elif entry.is_file(follow_symlinks=False):
            target.parent.mkdir(parents=True, exist_ok=True)
            mode = stat.S_IMODE(entry.stat(follow_symlinks=False).st_mode) & 0o777
            if self.move:
                os.replace(path, target)
            else:
                shutil.copyfile(path, target, follow_symlinks=False)
            os.chmod(target, mode)
            self.files += 1
        else:
            self.log(f"skipping {relpath} (not a regular file, directory or symlink)")
