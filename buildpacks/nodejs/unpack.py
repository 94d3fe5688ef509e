"""Extracting npm package tarballs without trusting them.

npm tarballs keep everything under one top directory (`package/`, for old
packages sometimes another name); it is dropped, and each remaining path is
sent to the directory `route` picks for it, or skipped. Entries that would
escape (`..`, absolute names, writes through symlinks, devices) are refused by
`builder.image.tarball.safe_members` and again by tarfile's "data" filter.
"""

from __future__ import annotations

import tarfile
from collections.abc import Callable
from pathlib import Path

from builder.errors import BuildError, UsageError
from builder.image.tarball import safe_members

Route = Callable[[str], Path | None]


def unpack(tarball: Path, route: Route, what: str) -> int:
    """Extract `tarball`, each entry into `route(relative path)`; return how many entries landed."""
    count = 0
    try:
        with tarfile.open(tarball, "r:gz") as tar:
            for member in safe_members(tar):
                rel = _strip_top(member.name)
                dest = route(rel) if rel else None
                if dest is None:
                    continue
                linkname = _strip_top(member.linkname) if member.islnk() else member.linkname
                tar.extract(member.replace(name=rel, linkname=linkname, deep=False), dest, filter="data")
                count += 1
    except UsageError as exc:
        raise BuildError(f"the tarball of {what} is unsafe to extract: {exc.message}",
                         "the registry served a malformed package; try another version") from None
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise BuildError(f"could not extract {what}: {exc}", "the download may be truncated; try again") from exc
    return count


def _strip_top(name: str) -> str:
    parts = [p for p in name.replace("\\", "/").split("/") if p not in ("", ".")]
    return "/".join(parts[1:])
