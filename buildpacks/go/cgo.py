"""cgo: whether a Go build links C, and whether the binary it makes starts on the run image.

    cgo_setting(env, app_dir) -> Cgo(enabled, reason, files)

The go command turns cgo on by default when a C compiler is there, and
Paketo's go-build passes the user's CGO_ENABLED through to it. dockless builds
static binaries (CGO_ENABLED=0) unless cgo is needed or asked for:

    CGO_ENABLED=1 (build env)   cgo on
    CGO_ENABLED=0 (build env)   cgo off, even for files that `import "C"` (a pure-Go
                                fallback behind `//go:build !cgo` is then used)
    unset                       cgo on when one of the app's own .go files (not _test.go,
                                not under vendor/, testdata/, `.`- or `_`-directories)
                                does `import "C"`, as the go command would build it; else off
    anything else               UsageError (exit 2)

With cgo on, the build root gets gcc and libc6-dev (nothing of them ships),
and the binary links the run image's glibc dynamically. `check_binaries`
then makes sure every library a binary names (DT_NEEDED) is glibc's, which the
run image has: a binary that needs another library (`#cgo LDFLAGS: -lsqlite3`)
would not start there, so that is a BuildError naming the binary and the
library, before anything ships.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from builder.buildpack.elf import dynamic
from builder.errors import BuildError, UsageError

BUILD_PACKAGES = ("gcc", "libc6-dev")
# glibc's libraries (Debian's libc6, in every run image), and the ELF interpreters.
GLIBC = re.compile(r"^(libc|libm|libpthread|libdl|librt|libresolv|libutil|libanl|libmvec)\.so\.\d+$"
                   r"|^ld-linux[-.\w]*\.so\.\d+$")
_IMPORT_C = re.compile(rb'^[ \t]*import[ \t]*(?:\([ \t]*\r?\n?[ \t]*)?"C"', re.MULTILINE)
_SKIP_DIRS = frozenset({"vendor", "testdata"})


@dataclass(frozen=True)
class Cgo:
    """Whether cgo is on, the sentence saying why, and the app's files that `import "C"` (relative paths)."""

    enabled: bool
    reason: str
    files: tuple[str, ...]


def cgo_setting(env: Mapping[str, str], app: Path) -> Cgo:
    """The cgo choice for the app at `app` (see the module docstring); UsageError for a bad CGO_ENABLED."""
    files = tuple(cgo_files(app))
    value = env.get("CGO_ENABLED", "").strip()
    if value == "1":
        return Cgo(True, "cgo on (CGO_ENABLED=1 from the build env): gcc at build, the binary links glibc", files)
    if value == "0":
        return Cgo(False, "cgo off (CGO_ENABLED=0 from the build env): static binaries", files)
    if value:
        raise UsageError(f"CGO_ENABLED must be 0 or 1, not '{value}'",
                         "leave it out (cgo is then on only for an app that imports \"C\"), or set 0 or 1")
    if files:
        return Cgo(True, f"cgo on: {files[0]} imports \"C\" (the go command's default with a C compiler): gcc at "
                         "build, the binary links glibc", files)
    return Cgo(False, "", files)


def cgo_files(app: Path) -> list[str]:
    """The app's own non-test .go files that `import "C"`, relative to `app`, sorted."""
    found: list[str] = []
    for dirpath, dirnames, filenames in os.walk(app):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS and not d.startswith((".", "_")))
        for name in sorted(filenames):
            if not name.endswith(".go") or name.endswith("_test.go") or name.startswith((".", "_")):
                continue
            path = Path(dirpath) / name
            try:
                head = path.read_bytes()[:65536]
            except OSError:
                continue
            if _IMPORT_C.search(head):
                found.append(path.relative_to(app).as_posix())
    return sorted(found)


def cgo_off_error(files: Sequence[str], cause: BuildError) -> BuildError:
    """The one line for a build that failed with cgo off while the app imports "C"."""
    return BuildError(f"{files[0]} imports \"C\" (cgo), and CGO_ENABLED=0 leaves it out of the build: "
                      f"{cause.message}", "leave out --env CGO_ENABLED=0 (dockless turns cgo on for an app that "
                      "imports \"C\"), or give the package a pure-Go file for `//go:build !cgo`")


def check_binaries(binaries: Sequence[Path]) -> None:
    """BuildError when a binary needs a shared library other than glibc's (the run image has only that)."""
    for binary in binaries:
        found = dynamic(binary)
        missing = [name for name in (found.needed if found else ()) if not GLIBC.match(name)]
        if missing:
            raise BuildError(f"{binary.name} needs the shared library {missing[0]}, which the run image does not "
                             "have: it would fail to start",
                             "use a pure-Go package instead, or link that library statically (its .a file in "
                             "#cgo LDFLAGS)")
