"""Parsing `dockless://` references and naming the image each one is pushed as."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import urlsplit, urlunsplit

from builder.errors import UsageError
from builder.source import redact_url

PREFIX = "dockless://"
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_NAME_CHARS = re.compile(r"[^a-z0-9._-]+")
_TAG_CHARS = re.compile(r"[^A-Za-z0-9_.-]+")


@dataclass(frozen=True, order=True)
class SourceRef:
    """One buildable source: a directory or a git URL, an optional revision and sub-directory.

    `text` is the reference as written (without the scheme), the key under
    which documents are rewritten.
    """

    text: str
    source: str
    revision: str | None = None
    subdir: str | None = None

    @property
    def is_git(self) -> bool:
        return bool(_SCHEME.match(self.source))

    @property
    def display(self) -> str:
        """The reference for logs and errors: credentials in a git URL hidden."""
        return PREFIX + (redact_url(self.text) if self.is_git else self.text)


def parse_ref(value: str) -> SourceRef:
    """`dockless://…` → SourceRef; UsageError (exit 2) when it names nothing buildable.

    A git URL is recognised by its scheme (`git://`, `https://`, `ssh://`,
    `file://`…). `#REV` follows the URL; `:SUBDIR` follows the revision, or,
    with no revision, a colon in the URL's path (ports are in the authority,
    so `https://host:8443/app.git:web` is the repository `app.git`, directory
    `web`). A directory reference is a path; it has no revision.
    """
    if not value.startswith(PREFIX):
        raise UsageError(f"'{value[:60]}' is not a dockless reference", f"write it as {PREFIX}PATH or {PREFIX}GIT_URL")
    text = value[len(PREFIX):].strip()
    if not text:
        raise UsageError(f"'{value}' names no source", f"write {PREFIX}./app or {PREFIX}https://host/org/app.git#v1")
    if not _SCHEME.match(text):
        return SourceRef(text, text)
    url, hashmark, fragment = text.partition("#")
    revision: str | None = None
    subdir: str | None = None
    if hashmark:
        revision, _, rest = fragment.partition(":")
        subdir = rest or None
        revision = revision or None
    else:
        parts = urlsplit(url)
        if ":" in parts.path:
            path, _, subdir = parts.path.rpartition(":")
            url = urlunsplit(parts._replace(path=path))
    if subdir is not None:
        subdir = subdir.strip("/")
        if not subdir or ".." in PurePosixPath(subdir).parts:
            raise UsageError(f"the sub-directory in {PREFIX}{redact_url(text)} must be a relative path inside "
                             "the repository", f"e.g. {PREFIX}https://host/org/repo.git#main:services/web")
    return SourceRef(text, url, revision, subdir)


def image_names(refs: Iterable[SourceRef], prefix: str) -> dict[SourceRef, str]:
    """The image each reference is pushed as: `PREFIX/NAME:TAG`.

    NAME is the sub-directory's last part, else the directory's or the
    repository's (without `.git`), lower-cased to what a registry accepts; TAG
    is the revision (made a valid tag), else `latest`. Two different
    references that would get the same name and tag get the first 8 hex digits
    of their reference's sha256 appended to the name, so no build overwrites
    another's tag. ko names images the same way (`--base-import-paths` plus
    an md5 when they clash).
    """
    prefix = prefix.rstrip("/")
    wanted = {ref: (_name(ref), _tag(ref)) for ref in sorted(set(refs))}
    counts: dict[tuple[str, str], int] = {}
    for pair in wanted.values():
        counts[pair] = counts.get(pair, 0) + 1
    names: dict[SourceRef, str] = {}
    for ref, (name, tag) in wanted.items():
        if counts[(name, tag)] > 1:
            name = f"{name}-{hashlib.sha256(ref.text.encode()).hexdigest()[:8]}"
        names[ref] = f"{prefix}/{name}:{tag}"
    return names


def _name(ref: SourceRef) -> str:
    if ref.subdir:
        base = PurePosixPath(ref.subdir).name
    elif ref.is_git:
        base = PurePosixPath(urlsplit(ref.source).path).name.removesuffix(".git")
    else:
        base = PurePosixPath(ref.source.rstrip("/")).name
        if base in ("", ".", ".."):
            base = PurePosixPath(os.path.abspath(ref.source)).name
    name = _NAME_CHARS.sub("-", base.lower()).strip("-._")
    return name or "app"


def _tag(ref: SourceRef) -> str:
    if not ref.revision:
        return "latest"
    tag = _TAG_CHARS.sub("-", ref.revision).lstrip(".-")[:128]
    return tag or "latest"
