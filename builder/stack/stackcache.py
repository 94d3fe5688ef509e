"""Stacks kept in the dockless cache, one directory per archive state, made once and shared.

`<cache>/stacks/<name>/<key>/` holds one finished stack (a run image as an OCI
layout, or a build root filesystem) and `stack.json` describing it. The key hashes
what decides the content — the signed Packages index digests, the package request
and the recipe version — so a mirror that moved gives a new key and a new stack, and
a Release re-signed with the same packages reuses the old one. A stack is made in a
temp directory and renamed into place under a file lock: concurrent builds wait for
the first one and then share its result, and a killed build leaves nothing half made.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import filelock
import httpx

from builder.errors import StackError
from builder.stack.debian import Archive, Release

RECIPE = "3"  # 3: top-level merged-/usr links made where base-files lacks them (bookworm)
"""Bump when the way stacks are assembled changes, so old cached ones are not reused."""
_INFO = "stack.json"


@dataclass(frozen=True)
class Cached:
    """One finished stack in the cache."""

    path: Path
    key: str
    suite: str
    release_date: str


def stack_key(archive: Archive, release: Release, packages: Sequence[str], exclude: Sequence[str]) -> str:
    """What decides a stack's content, hashed: index digests, the request, the recipe."""
    indexes = sorted(
        entry.sha256
        for path, entry in release.sha256.items()
        for component in archive.components
        if path.startswith(f"{component}/binary-{archive.arch}/Packages")
    )
    doc = {"recipe": RECIPE, "suite": release.codename, "arch": archive.arch, "indexes": indexes,
           "packages": sorted(packages), "exclude": sorted(exclude)}  # fmt: skip
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:20]


def release_or_offline(archive: Archive) -> Release | None:
    """The archive's Release, or None when the mirror cannot be reached at all (other failures raise)."""
    try:
        return archive.release()
    except StackError as exc:
        if isinstance(exc.__cause__, httpx.TransportError):
            return None
        raise


def ensure(base: Path, key: str, release: Release, make: Callable[[Path], None]) -> Cached:
    """`<base>/<key>`, calling `make(empty_dir)` to fill it the first time (once, under a lock)."""
    base.mkdir(parents=True, exist_ok=True)
    final = base / key
    with filelock.FileLock(str(base / ".lock")):
        if not (final / _INFO).is_file():
            work = Path(tempfile.mkdtemp(dir=base, prefix=".make-"))
            try:
                make(work)
                info = {"key": key, "suite": release.codename, "release_date": release.date.isoformat()}
                (work / _INFO).write_text(json.dumps(info, sort_keys=True) + "\n")
                if final.exists():
                    shutil.rmtree(final)  # an unfinished directory from a crash: no stack.json
                os.replace(work, final)
            except BaseException:
                shutil.rmtree(work, ignore_errors=True)
                raise
    return _read(final)


_CHECKED = ".last-check.json"


def newest(base: Path) -> Cached | None:
    """The cached stack with the latest Release date, for working offline."""
    found = [_read(info.parent) for info in base.glob(f"*/{_INFO}")] if base.is_dir() else []
    return max(found, key=lambda c: c.release_date, default=None)


def recently_checked(base: Path, request: str, max_age: float, now: float) -> Cached | None:
    """The stack a check within `max_age` seconds chose for this same `request`, if still there.

    Saves the InRelease round trip (and gpgv) on every build; the archive is
    still re-checked at least every `max_age` seconds.
    """
    try:
        record = json.loads((base / _CHECKED).read_text())
    except (FileNotFoundError, ValueError):
        return None
    if record.get("request") != request or not 0 <= now - float(record.get("time", 0)) <= max_age:
        return None
    path = base / str(record.get("key", ""))
    return _read(path) if (path / _INFO).is_file() else None


def remember_check(base: Path, request: str, cached: Cached, now: float) -> None:
    tmp = base / f"{_CHECKED}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps({"request": request, "key": cached.key, "time": now}))
    os.replace(tmp, base / _CHECKED)


def _read(path: Path) -> Cached:
    info = json.loads((path / _INFO).read_text())
    return Cached(path, info["key"], info["suite"], info["release_date"])
