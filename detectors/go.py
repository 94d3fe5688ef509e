"""The Go detector: is this a Go module (or a lone `main` package), and which Go does it ask for?

It passes on a `go.mod` at the app's root, as Paketo's and Heroku's Go
buildpacks do, and also on a root `package main` with no go.mod (built in
GOPATH mode: the standard library only). The Go version request comes from,
in this order (the go command's own rule: `toolchain` names the release to
build with, the `go` line the minimum; Paketo reads BP_GO_VERSION):

    go.mod `toolchain go1.X.Y`  > go.mod `go 1.X[.Y]` > BP_GO_VERSION (build env) > the newest release

A toolchain line older than the go line is ignored, as the go command does.
It provides `go` and requires it with these metadata (all strings):

    go / go_source   the version request as written ("1.22", "1.22.5") and where it came from ("" / "default")
    module           the module path from go.mod ("" without one)
    gomod            "true" when there is a go.mod
    vendor           "true" when vendor/modules.txt exists (build from vendor/, no download)

A go.mod the go command would refuse (an unknown directive, an unclosed
block, a malformed version) is a UsageError naming the line (exit 2).

A module that needs source outside the directory being built cannot build
alone, which is a SourceError (exit 3, the README's "a --subdir that cannot
build alone"), said at detect time before anything is downloaded:

    replace example.com/shared => ../../shared   a replacement directory outside the workspace (or an
                                                 absolute host path): with --subdir only that directory
                                                 is copied, so the go command would find no go.mod there
    require example.com/shared v0.0.0            a placeholder version (v0.0.0, or the zero pseudo-version
                                                 v0.0.0-00010101000000-000000000000) that nothing replaces
                                                 and go.sum does not list: a go.work `use` outside the
                                                 subdir provides it; asking the module proxy would fail,
                                                 or worse fetch a public module of that path

A replacement directory inside the workspace without a go.mod is a UsageError
(the go command refuses it too). With vendor/modules.txt neither is checked:
`go mod vendor` copies replaced directories into vendor/.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from builder.errors import SourceError, UsageError
from builder.lifecycle.contract import Detection, Require

# golang.org/x/mod/modfile: the verbs a go.mod may use.
_VERBS = frozenset({"module", "go", "toolchain", "require", "replace", "exclude", "retract", "godebug", "tool",
                    "ignore"})
_BLOCK_VERBS = _VERBS - {"module", "go", "toolchain"}
GO_VERSION = re.compile(r"^([1-9][0-9]*)\.(0|[1-9][0-9]*)(?:\.(0|[1-9][0-9]*))?((?:rc|beta)[1-9][0-9]*)?$")
_TOOLCHAIN = re.compile(r"^go(\S+?)(?:-\S+)?$")  # go1.22.5, go1.22.5-custom (a suffix the go command allows)
_PACKAGE = re.compile(rb"^package\s+(\w+)", re.MULTILINE)
_BUILD_IGNORE = re.compile(rb"^//go:build\s+ignore\s*$", re.MULTILINE)


@dataclass(frozen=True)
class GoMod:
    """What dockless reads from a go.mod: the module path, the `go` and `toolchain` lines, the requirements."""

    module: str
    go: str          # "1.22", "1.22.5"; "" when absent
    toolchain: str   # "1.22.5" (without "go"); "" when absent or "default"
    requires: tuple[tuple[str, str], ...]  # (module path, version) of every `require`
    replaces: tuple[tuple[str, str], ...] = ()  # (module path, replacement: a directory or "path version")


def read_gomod(path: Path) -> GoMod | None:
    """The parsed go.mod at `path`, None when absent; a file the go command would refuse raises UsageError.

    The grammar is golang.org/x/mod/modfile's: one directive per line (`verb args`)
    or a block `verb (` … `)` for the verbs that allow one; `//` comments.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (FileNotFoundError, IsADirectoryError):
        return None
    except UnicodeDecodeError as exc:
        raise UsageError(f"go.mod is not UTF-8 text (byte {exc.start})", "save go.mod as UTF-8") from None
    module = go = toolchain = ""
    requires: list[tuple[str, str]] = []
    replaces: list[tuple[str, str]] = []
    block = ""
    block_line = 0
    for number, raw in enumerate(text.splitlines(), 1):
        line = _strip_comment(raw).strip()
        if not line:
            continue
        if block:
            if line == ")":
                block = ""
                continue
            if block == "require":
                requires.append(_require(line.split(), number))
            elif block == "replace":
                replaces.append(_replace(line.split(), number))
            continue
        words = line.split()
        verb = words[0]
        if verb not in _VERBS:
            raise _malformed(number, f"unknown directive: {verb}")
        if len(words) == 2 and words[1] == "(" and verb in _BLOCK_VERBS:
            block, block_line = verb, number
            continue
        args = words[1:]
        if verb == "module":
            if len(args) != 1:
                raise _malformed(number, "usage: module module/path")
            module = args[0].strip('"`')
        elif verb == "go":
            if len(args) != 1 or not GO_VERSION.match(args[0]):
                raise _malformed(number, f"invalid go version '{' '.join(args)}': must match format 1.23.0")
            go = args[0]
        elif verb == "toolchain":
            toolchain = _toolchain(args, number)
        elif verb == "require":
            requires.append(_require(args, number))
        elif verb == "replace":
            replaces.append(_replace(args, number))
    if block:
        raise _malformed(block_line, f"'{block} (' block is never closed with ')'")
    return GoMod(module, go, toolchain, tuple(requires), tuple(replaces))


def _strip_comment(line: str) -> str:
    """`line` without a `//` comment (outside a quoted string)."""
    quote = ""
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "\"`":
            quote = ch
        elif line.startswith("//", i):
            return line[:i]
    return line


def _toolchain(args: list[str], number: int) -> str:
    if len(args) != 1:
        raise _malformed(number, "usage: toolchain go1.23.4")
    if args[0] == "default":
        return ""
    match = _TOOLCHAIN.match(args[0])
    if not match or not GO_VERSION.match(match.group(1)):
        raise _malformed(number, f"invalid toolchain '{args[0]}': must be go1.23.4 or default")
    return match.group(1)


def _require(args: list[str], number: int) -> tuple[str, str]:
    if len(args) != 2 or not args[1].startswith("v"):
        raise _malformed(number, "usage: require module/path v1.2.3")
    return args[0].strip('"`'), args[1]


def _replace(args: list[str], number: int) -> tuple[str, str]:
    """`old [version] => new [version]` as (old path, new): a directory, or "path version"."""
    if "=>" not in args:
        raise _malformed(number, "usage: replace module/path [v1.2.3] => other/module v1.4.5 or ../local/directory")
    arrow = args.index("=>")
    old, new = args[:arrow], [a.strip('"`') for a in args[arrow + 1:]]
    if len(old) not in (1, 2) or len(new) not in (1, 2):
        raise _malformed(number, "usage: replace module/path [v1.2.3] => other/module v1.4.5 or ../local/directory")
    return old[0].strip('"`'), " ".join(new)


def is_directory_path(target: str) -> bool:
    """Whether a replacement is a directory, by golang.org/x/mod/modfile.IsDirectoryPath's rule:
    it starts with ./ or ../ (or is . or ..), or is absolute."""
    return target in (".", "..") or target.startswith(("./", "../", "/", ".\\", "..\\")) or (
        len(target) > 2 and target[1] == ":" and target[2] in "/\\")


_ZERO_VERSIONS = frozenset({"v0.0.0", "v0.0.0-00010101000000-000000000000"})


def check_builds_alone(gomod: GoMod, workspace: Path, root: Path) -> None:
    """SourceError (exit 3) when the module at `root` needs a directory outside `workspace` (see the
    module docstring); UsageError when a replacement directory inside it has no go.mod."""
    for old, new in gomod.replaces:
        if not is_directory_path(new):
            continue
        rel = os.path.normpath(os.path.relpath(os.path.normpath(root / new), workspace))
        if os.path.isabs(new) or rel == ".." or rel.startswith(".." + os.sep):
            raise SourceError(
                f"go.mod replaces {old} with {new}, a directory outside the source being built "
                "(with --subdir only that directory is built): it cannot build alone",
                hint=f"vendor it into the module (`go mod vendor` copies {new}), build from a directory that "
                     "holds both, or require a published version")
        if not (workspace / rel / "go.mod").is_file():
            raise UsageError(f"go.mod replaces {old} with {new}, which has no go.mod",
                             f"add a go.mod to {new} (`go mod init {old}`), or fix the replace line")
    replaced = {old for old, _ in gomod.replaces}
    listed = _go_sum_modules(root / "go.sum")
    for path, version in gomod.requires:
        if version in _ZERO_VERSIONS and path not in replaced and (path, version) not in listed:
            raise SourceError(
                f"go.mod requires {path} {version}, a placeholder version that no replace provides and "
                "go.sum does not list: a go.work outside the source being built provides it (with --subdir only "
                "that directory is built), so it cannot build alone",
                hint=f"add `replace {path} => <directory inside the source>`, vendor it (`go mod vendor`), or "
                     "require a published version; dockless never asks the module proxy for a workspace module")


def _go_sum_modules(path: Path) -> set[tuple[str, str]]:
    """(module path, version) of every go.sum line (`path version[/go.mod] h1:…`); empty without one."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except (FileNotFoundError, IsADirectoryError):
        return set()
    found: set[tuple[str, str]] = set()
    for line in text.splitlines():
        words = line.split()
        if len(words) == 3:
            found.add((words[0], words[1].removesuffix("/go.mod")))
    return found


def _malformed(number: int, message: str) -> UsageError:
    return UsageError(f"go.mod line {number}: {message}",
                      "fix go.mod (`go mod edit -fmt` and `go mod tidy` say what the go command accepts)")


def version_key(version: str) -> tuple[int, int, int, int, int]:
    """A sort key for Go versions: 1.22 < 1.22rc1 < 1.22.0 < 1.22.5 (the go command's gover order).

    Raises ValueError for text that is not a Go version.
    """
    match = GO_VERSION.match(version)
    if not match:
        raise ValueError(version)
    major, minor, patch, pre = match.groups()
    if pre:  # 1.22rc1: after the language version 1.22, before the release 1.22.0
        kind = 1 if pre.startswith("beta") else 2
        return int(major), int(minor), -1, kind, int(pre.lstrip("abcdefghijklmnopqrstuvwxyz"))
    if patch is None:
        return int(major), int(minor), -2, 0, 0
    return int(major), int(minor), int(patch), 3, 0


def main_package(directory: Path) -> bool:
    """True when `directory` holds a non-test `.go` file of `package main` (build-ignored files aside)."""
    try:
        files = sorted(directory.glob("*.go"))
    except OSError:
        return False
    for file in files:
        if file.name.endswith("_test.go") or not file.is_file():
            continue
        head = file.read_bytes()[:8192]
        match = _PACKAGE.search(head)
        if match and match.group(1) == b"main" and not _BUILD_IGNORE.search(head[: match.start()]):
            return True
    return False


@dataclass(frozen=True)
class GoDetector:
    """Passes on a go.mod, or on a root `package main` without one."""

    id: str = "go"

    def detect(self, workspace: Path, env: Mapping[str, str], app_dir: str = "") -> Detection:
        root = workspace / app_dir
        gomod = read_gomod(root / "go.mod")
        if gomod is None and not main_package(root):
            return Detection(self.id, False, ("no go.mod and no package main at the root",))
        requires = {"gomod": "true" if gomod else "false", "module": gomod.module if gomod else "",
                    "vendor": "true" if (root / "vendor" / "modules.txt").is_file() else "false"}
        if gomod is not None and requires["vendor"] == "false":
            check_builds_alone(gomod, workspace, root)
        reasons = [f"found go.mod (module {gomod.module or '?'})" if gomod
                   else "found package main with no go.mod: built in GOPATH mode (standard library only)"]
        requires["go"], requires["go_source"] = request(gomod, env)
        reasons.append(f"Go '{requires['go']}' from {requires['go_source']}" if requires["go"]
                       else "no Go version asked for (go.mod, BP_GO_VERSION): the newest release")
        if requires["vendor"] == "true":
            reasons.append("found vendor/modules.txt: modules come from vendor/")
        return Detection(self.id, True, tuple(reasons), provides=("go",), requires=(Require("go", requires),))


def request(gomod: GoMod | None, env: Mapping[str, str]) -> tuple[str, str]:
    """(version request, where it came from): toolchain > go line > BP_GO_VERSION > ("", "default")."""
    if gomod and gomod.toolchain and (not gomod.go or version_key(gomod.toolchain) >= version_key(gomod.go)):
        return gomod.toolchain, "go.mod toolchain"
    if gomod and gomod.go:
        return gomod.go, "go.mod go directive"
    wanted = env.get("BP_GO_VERSION", "").strip().removeprefix("go")
    if wanted:
        return wanted, "BP_GO_VERSION"
    return "", "default"
