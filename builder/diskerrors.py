"""OSError → the dockless error of the medium that hit it, naming the path and the OS's reason.

The media on the local disk (`oci:`, `docker-archive:`, and the temp file the
`docker-daemon:` medium streams through) translate here, at their boundary, so
a full disk reads "error: cannot write the OCI layout '/out': No space left on
device" and exits 8 instead of surfacing as an internal error. The direction
decides the kind:

    writing   PublishError (8), whatever the cause
    reading   NotFoundError (12) when the path is missing; UsageError (2) when the
              input cannot be read (a directory, no permission, not gzip);
              DocklessError (1) when the local disk (the cache) is full while
              importing it
"""

from __future__ import annotations

import errno
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from builder.errors import DocklessError, NotFoundError, PublishError, UsageError

_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
_MISSING = {errno.ENOENT, errno.ENOTDIR}
_HINTS = {
    errno.ENOSPC: "free some space on that disk, or write somewhere else",
    errno.EDQUOT: "your disk quota is used up: free some space, or write somewhere else",
    errno.EFBIG: "the file grew past this system's size limit (ulimit -f): write somewhere else",
    errno.EROFS: "that file system is read-only: choose a writable path",
    errno.EACCES: "check the permissions of that path, or choose another one",
    errno.EPERM: "that path does not accept files: choose another one",
    errno.ENOTDIR: "part of that path is a file, not a directory: choose another path",
    errno.EEXIST: "a file is in the way where a directory is needed: choose another path",
    errno.EISDIR: "that path is a directory: give a file path",
}


def os_reason(err: OSError, path: Path | str) -> str:
    """The OS's words, plus the file it names when that is not `path` itself (relative when inside it)."""
    reason = err.strerror or str(err) or type(err).__name__
    where = str(err.filename) if err.filename is not None else ""
    if where and where != str(path):
        inside = where.startswith(f"{str(path).rstrip('/')}/")
        reason += f" ({where[len(str(path).rstrip('/')) + 1:] if inside else where})"
    return reason


@contextmanager
def writing(what: str, path: Path | str) -> Iterator[None]:
    """Any OSError in the block becomes a PublishError: "cannot write WHAT 'PATH': REASON"."""
    try:
        yield
    except OSError as err:
        raise PublishError(f"cannot write {what} '{path}': {os_reason(err, path)}",
                           _HINTS.get(err.errno or 0, PublishError.default_hint)) from None


@contextmanager
def reading(what: str, path: Path | str) -> Iterator[None]:
    """Any OSError in the block becomes NotFoundError, UsageError or (disk full) DocklessError."""
    try:
        yield
    except OSError as err:
        reason = os_reason(err, path)
        if err.errno in _MISSING:
            raise NotFoundError(f"cannot read {what} '{path}': {reason}",
                                "check the path (it must exist and be readable)") from None
        if err.errno in _FULL:
            raise DocklessError(f"cannot read {what} '{path}': {reason}",
                                "free some space on that disk, or point --cache-dir / $TMPDIR at another one") from None
        raise UsageError(f"cannot read {what} '{path}': {reason}",
                         _HINTS.get(err.errno or 0, "is it really what the reference says it is?")) from None
