"""Clone one revision of a git repository, as shallow as the revision allows.

The strategy, in git commands (through GitPython):

    git ls-remote URL                  one round trip: reachability, auth, refs
    git init; git remote add origin URL
    git fetch --depth 1 origin REF     REF = HEAD | refs/heads/B | refs/tags/T | <full sha>
      (short sha, or a server refusing a sha: fetch all branches and tags, then rev-parse)
    git checkout --detach FETCH_HEAD
    git submodule update --init --recursive --depth 1   (again without --depth if refused)

`ls-remote` first lets a branch or tag name, and a sha that some ref points
at, be fetched by name with depth 1, and gives the "did you mean" list for an
unknown revision without cloning anything.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from builder.errors import SourceError

from ._gitcmd import Failure, GitFailure, GitRunner
from ._url import redact_url, url_secrets

LogFn = Callable[[str], None]

_FULL_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
_SHORT_SHA = re.compile(r"[0-9a-f]{4,63}")
_ALL_REFS = ("+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*")
_HINT_LIMIT = 6
_TRANSPORT = re.compile(r"transport '([^']+)' not allowed")
_SUBMODULE_CLONE = re.compile(r"clone of '([^']*)' into submodule path '([^']*)' failed")


@dataclass(frozen=True)
class Checkout:
    """A checked-out working tree (its .git still inside) and the commit it holds."""

    tree: Path
    commit: str
    commit_time: int


def clone(url: str, into: Path, revision: str | None, *, log: LogFn) -> Checkout:
    """Check out `revision` (default branch if None) of `url` into the new directory `into`."""
    shown = redact_url(url)
    into.mkdir(parents=True)
    session = _Session(GitRunner(into, url_secrets(url)), shown, revision, log)
    refs = session.remote_refs(url)
    session.run("set up a clone of", "init", "-q")
    session.run("set up a clone of", "remote", "add", "--", "origin", url)
    session.fetch_and_checkout(refs)
    if (into / ".gitmodules").is_file():
        session.update_submodules()
    head = session.run("read the commit of", "show", "-s", "--format=%H %ct", "HEAD")
    commit, _, when = head.strip().partition(" ")
    return Checkout(tree=into, commit=commit, commit_time=int(when))


@dataclass(frozen=True)
class _Session:
    git: GitRunner
    shown: str
    revision: str | None
    log: LogFn

    def remote_refs(self, url: str) -> dict[str, str]:
        """ref name → commit (annotated tags peeled); HEAD included when the remote has one."""
        out = self.run("list", "ls-remote", "--", url)
        refs: dict[str, str] = {}
        for line in out.splitlines():
            sha, _, name = line.partition("\t")
            if name.endswith("^{}"):
                refs[name[:-3]] = sha
            elif name and name not in refs:
                refs[name] = sha
        if not refs:
            raise SourceError(f"{self.shown} is an empty repository (it has no commits)",
                              hint="push a commit first, or check the URL")
        return refs

    def fetch_and_checkout(self, refs: Mapping[str, str]) -> None:
        rev = self.revision
        if rev is None:
            if "HEAD" not in refs:
                raise SourceError(f"{self.shown} has no default branch (its HEAD points nowhere)",
                                  hint=f"name a revision with --revision, e.g. {_examples(refs)}")
            return self._shallow("HEAD", None)
        for name in (f"refs/heads/{rev}", f"refs/tags/{rev}", rev if rev.startswith("refs/") else ""):
            if name in refs:
                return self._shallow(name, rev)
        rev = rev.lower() if _SHORT_SHA.fullmatch(rev.lower()) else rev
        if _FULL_SHA.fullmatch(rev):
            named = [name for name, sha in refs.items() if sha == rev and name != "HEAD"]
            if named:
                return self._shallow(named[0], rev[:12])
            try:
                return self._shallow(rev, rev[:12], translate=False)
            except GitFailure as failure:
                if failure.kind not in (Failure.REVISION, Failure.OTHER):
                    raise self._error(failure, "fetch") from None
                self.log(f"the server would not send {rev[:12]} alone ({failure.line}); fetching all branches and tags")
            return self._full(rev, refs)
        if _SHORT_SHA.fullmatch(rev):
            commits = {sha for sha in refs.values() if sha.startswith(rev)}
            if len(commits) == 1:
                (commit,) = commits
                named = sorted(n for n, sha in refs.items() if sha == commit and n != "HEAD")
                if named:
                    return self._shallow(named[0], rev)
            return self._full(rev, refs)
        raise self._unknown_revision(refs)

    def _shallow(self, ref: str, what: str | None, *, translate: bool = True) -> None:
        self.log(f"cloning {self.shown}{f' at {what}' if what else ''} (depth 1)")
        try:
            self.git("fetch", "-q", "--no-tags", "--depth", "1", "origin", ref)
        except GitFailure as failure:
            if not translate:
                raise
            raise self._error(failure, "fetch") from None
        self.run("check out", "checkout", "-q", "--detach", "FETCH_HEAD")

    def _full(self, rev: str, refs: Mapping[str, str]) -> None:
        self.log(f"cloning {self.shown} (full history, to find {rev})")
        self.run("fetch", "fetch", "-q", "--no-tags", "origin", *_ALL_REFS)
        try:
            commit = self.git("rev-parse", "-q", "--verify", f"{rev}^{{commit}}").strip()
        except GitFailure as failure:
            if "ambiguous" in failure.stderr:
                raise SourceError(f"revision {rev!r} is ambiguous in {self.shown}",
                                  hint="give more characters of the commit sha") from None
            raise self._unknown_revision(refs) from None
        self.run("check out", "checkout", "-q", "--detach", commit)

    def update_submodules(self) -> None:
        """Fetch submodules at depth 1; again with full history only when depth 1 was the problem.

        A server that cannot send a pinned commit which is no longer a branch tip
        ("did not contain", "unadvertised object") is worth a second, full fetch.
        Credentials, reachability, a missing repository or a transport git itself
        refuses (protocol.file.allow) fail the same way twice: those are reported
        at once, with the submodule's path and URL, and no "refused" line first.
        """
        self.log("fetching submodules (depth 1)")
        base = ("submodule", "update", "--init", "--recursive")
        try:
            self.git(*base, "--depth", "1")
        except GitFailure as failure:
            if failure.kind in (Failure.AUTH, Failure.UNREACHABLE, Failure.NOT_FOUND, Failure.TRANSPORT):
                raise self._submodule_error(failure) from None
            self.log(f"shallow submodule fetch refused ({failure.line}); fetching full submodule history")
            try:
                self.git(*base)
            except GitFailure as again:
                raise self._submodule_error(again) from None

    def _submodule_error(self, failure: GitFailure) -> SourceError:
        where = _failed_submodule(failure.stderr, self.git.workdir)
        if failure.kind is not Failure.TRANSPORT:
            error = self._error(failure, "fetch submodules of")
            return SourceError(f"{error.message} (submodule {where})" if where else error.message, error.hint)
        self._error(failure, "fetch submodules of")  # logs git's own lines
        transport = _TRANSPORT.search(failure.line)
        name = transport[1] if transport else "this"
        return SourceError(
            f"submodule {where or 'of ' + self.shown} uses the '{name}' transport, which git refuses "
            f"for submodules ({failure.line})",
            hint=f"point the submodule's url in .gitmodules at https://, ssh:// or git://; git refuses "
                 f"'{name}' submodules since 2.38.1 (protocol.{name}.allow, CVE-2022-39253)")

    def run(self, action: str, *args: str) -> str:
        try:
            return self.git(*args)
        except GitFailure as failure:
            raise self._error(failure, action) from None

    def _error(self, failure: GitFailure, action: str) -> SourceError:
        for line in failure.stderr.splitlines():
            if line.strip():
                self.log(f"git: {line.strip()}")
        line = failure.line
        if failure.kind is Failure.AUTH:
            return SourceError(
                f"authentication required for {self.shown}: {line}",
                hint="dockless never prompts for a password: set up a git credential helper or GIT_ASKPASS "
                     "(https), or an SSH key in ssh-agent (ssh URLs)")
        if failure.kind is Failure.NOT_FOUND:
            return SourceError(
                f"repository {self.shown} not found: {line}",
                hint="check the URL; a private repository also looks missing when no credentials are sent "
                     "(git credential helper, GIT_ASKPASS or an SSH key)")
        if failure.kind is Failure.UNREACHABLE:
            return SourceError(f"cannot reach {self.shown}: {line}",
                               hint="check the host name and port, your network and proxy settings")
        if failure.kind is Failure.REVISION and self.revision:
            return SourceError(f"revision {self.revision!r} not found in {self.shown}: {line}")
        return SourceError(f"could not {action} {self.shown}: {line}")

    def _unknown_revision(self, refs: Mapping[str, str]) -> SourceError:
        return SourceError(f"revision {self.revision!r} not found in {self.shown}",
                           hint=f"use a branch, a tag or a commit sha; the repository has {_examples(refs)}")


def _failed_submodule(stderr: str, tree: Path) -> str | None:
    """"PATH (URL)" of the submodule git names in a failed clone, PATH relative to the checkout."""
    found = _SUBMODULE_CLONE.search(stderr)
    if found is None:
        return None
    url, path, root = found[1], Path(found[2]), tree.resolve()
    rel = path.relative_to(root).as_posix() if path.is_absolute() and path.is_relative_to(root) else found[2]
    return f"{rel} ({url})"


def _examples(refs: Mapping[str, str]) -> str:
    """A few branch and tag names for a hint: main/master first, the newest-sorting tags."""
    branches = sorted((n[len("refs/heads/"):] for n in refs if n.startswith("refs/heads/")),
                      key=lambda b: (b not in ("main", "master"), b))
    tags = sorted(n[len("refs/tags/"):] for n in refs if n.startswith("refs/tags/"))
    parts = []
    if branches:
        parts.append("branches " + _few(branches))
    if tags:
        parts.append("tags " + _few(list(reversed(tags))))
    return "; ".join(parts) or "no branches or tags"


def _few(names: list[str]) -> str:
    shown = ", ".join(names[:_HINT_LIMIT])
    more = len(names) - _HINT_LIMIT
    return shown + (f" (and {more} more)" if more > 0 else "")
