"""`--subdir` inside a monorepo: find the workspace root a sub-project belongs to.

A member of a JavaScript workspace cannot be installed on its own: its lockfile
is at the workspace root, and its siblings (`"@demo/shared": "workspace:*"` or a
plain version) are links to other directories of the repository, not packages
on the registry. Copying only the subdir is what made npm ask the registry for
`@demo/shared` and fail with a 404 that never named the cause.

The peers keep the whole project and record where the app is: Paketo builds the
whole source with `BP_NODE_PROJECT_PATH` naming the app, Google's buildpacks
(`GOOGLE_BUILDABLE`) and Firebase App Hosting (its "app root directory") upload
the repository and install at the workspace root. Turborepo's `turbo prune`
(a partial monorepo: root manifests, lockfile, the app and the siblings it needs)
is the same idea done by trimming. So:

    --subdir names a member of a workspace   the workspace is the workspace root's tree;
                                             `app_dir` is the member, relative to it
    --subdir is under a workspace root but   refused in one line when it depends on a member
      not a member                           (it could only fail later); else built alone
    anything else                            as before: the workspace is the subdir

What the member does not need (other apps of the workspace) stays out of the
image: the buildpack knows its dependency graph and leaves it out of the app
layer. Roots are recognised by the files that declare members: package.json
`workspaces` (npm, yarn) and `pnpm-workspace.yaml` `packages` (pnpm). Other
ecosystems' workspaces (Cargo `[workspace]`, `go.work`) would add a reader here.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from builder.errors import SourceError

LogFn = Callable[[str], None]

DEPENDENCY_FIELDS = ("dependencies", "devDependencies", "optionalDependencies", "peerDependencies")
_SKIP_DIRS = frozenset({"node_modules", ".git"})


@dataclass(frozen=True)
class Declaration:
    """Which file of a workspace root declares its members, and the member globs it lists."""

    file: str                         # "package.json" | "pnpm-workspace.yaml"
    patterns: tuple[str, ...]         # e.g. ("app/*", "packages/*", "!packages/old")

    @property
    def kind(self) -> str:
        return "pnpm workspace" if self.file == "pnpm-workspace.yaml" else "npm/yarn workspace"


@dataclass(frozen=True)
class EnclosingRoot:
    """The workspace root a --subdir belongs to: `root` relative to the source tree ("" = the tree
    itself) and the member `app_dir` relative to the root."""

    root: str
    app_dir: str
    declaration: Declaration


def declaration(directory: Path) -> Declaration | None:
    """The member globs `directory` declares as a workspace root, None when it is no workspace root.

    pnpm reads only pnpm-workspace.yaml, so it wins over package.json `workspaces`
    (an array, or yarn classic's `{"packages": [...]}`). A package.json that does not
    parse is left to the detector, which reports it with its line and column.
    """
    pnpm = directory / "pnpm-workspace.yaml"
    if pnpm.is_file():
        return Declaration(pnpm.name, _pnpm_packages(pnpm.read_text(encoding="utf-8", errors="replace")))
    package = _json_object(directory / "package.json")
    workspaces = package.get("workspaces") if package else None
    if isinstance(workspaces, dict):
        workspaces = workspaces.get("packages")
    if isinstance(workspaces, list) and any(isinstance(p, str) for p in workspaces):
        return Declaration("package.json", tuple(p for p in workspaces if isinstance(p, str)))
    return None


def enclosing_root(tree: Path, subdir: str, *, log: LogFn) -> EnclosingRoot | None:
    """The nearest workspace root above `subdir` (a normalised relative path in `tree`) that has it
    as a member; None to build `subdir` on its own. SourceError when `subdir` sits under a workspace
    root without being a member, yet depends on one of its members."""
    rel = PurePosixPath(subdir)
    for parent in rel.parents:
        found = declaration(tree / parent)
        if found is None:
            continue
        inner = rel.relative_to(parent).as_posix()
        root = "" if parent == PurePosixPath(".") else parent.as_posix()
        where = f"at {root}" if root else "at the root of the source"
        if is_member(inner, found.patterns) and (tree / rel / "package.json").is_file():
            log(f"--subdir {subdir} is a member of the {found.kind} {where} ({found.file}): "
                f"the workspace keeps the workspace root, the app is {inner}")
            return EnclosingRoot(root, inner, found)
        _refuse_if_it_needs_members(tree / parent, tree / rel, subdir, inner, found, where)
        log(f"--subdir {subdir} is under the {found.kind} {where} but not one of its members: building it alone")
        return None
    return None


def is_member(path: str, patterns: tuple[str, ...]) -> bool:
    """Whether the relative directory `path` matches the member globs (`*` within a path component,
    `**` across components, `!` excludes), as npm's and pnpm's workspace globs do."""
    parts = tuple(PurePosixPath(path).parts)
    included = excluded = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        glob = _glob_parts(pattern[1:] if negated else pattern)
        if glob and _match(parts, glob):
            excluded, included = excluded or negated, included or not negated
    return included and not excluded


def member_dirs(root: Path, patterns: tuple[str, ...]) -> Iterator[str]:
    """Every directory under `root` with a package.json that the member globs select."""
    stack = [root]
    while stack:
        directory = stack.pop()
        for child in sorted((c for c in directory.iterdir() if c.is_dir() and not c.is_symlink()), reverse=True):
            if child.name in _SKIP_DIRS:
                continue
            rel = child.relative_to(root).as_posix()
            if is_member(rel, patterns) and (child / "package.json").is_file():
                yield rel
            stack.append(child)


def package_name(directory: Path) -> str | None:
    """The `name` in `directory`'s package.json, None when it has none (or no package.json)."""
    package = _json_object(directory / "package.json")
    name = package.get("name") if package else None
    return name if isinstance(name, str) and name else None


def dependency_names(package: Mapping[str, Any]) -> set[str]:
    """Every package name the package.json object `package` depends on, in any dependency field."""
    names: set[str] = set()
    for field in DEPENDENCY_FIELDS:
        deps = package.get(field)
        if isinstance(deps, dict):
            names |= {k for k in deps if isinstance(k, str)}
    return names


def _refuse_if_it_needs_members(root: Path, app: Path, subdir: str, inner: str, found: Declaration,
                                where: str) -> None:
    package = _json_object(app / "package.json")
    if not package:
        return
    members = {name for rel in member_dirs(root, found.patterns) if (name := package_name(root / rel))}
    needed = sorted(dependency_names(package) & members)
    if needed:
        raise SourceError(
            f"--subdir {subdir} depends on {', '.join(needed)} of the {found.kind} {where}, but is not one of "
            f"its members ({found.file} lists {', '.join(found.patterns)})",
            hint=f"add '{inner}' to the members in {found.file} and update the lockfile, "
                 "or point --subdir at a member of the workspace")


def _glob_parts(pattern: str) -> tuple[str, ...]:
    pattern = pattern.strip()
    while pattern.startswith("./"):
        pattern = pattern[2:]
    return tuple(p for p in pattern.strip("/").split("/") if p and p != ".")


def _match(parts: tuple[str, ...], glob: tuple[str, ...]) -> bool:
    if not glob:
        return not parts
    if glob[0] == "**":
        return any(_match(parts[i:], glob[1:]) for i in range(len(parts) + 1))
    return bool(parts) and fnmatch.fnmatchcase(parts[0], glob[0]) and _match(parts[1:], glob[1:])


_YAML_ITEM = re.compile(r"""^\s*-\s*(?:'([^']*)'|"([^"]*)"|([^#\s][^#]*?))\s*(?:#.*)?$""")


def _pnpm_packages(text: str) -> tuple[str, ...]:
    """The `packages:` list of pnpm-workspace.yaml (block list, or a flow list on one line).

    The file is YAML but this key is always a list of strings; a few lines of
    reading it keep the source stage free of a YAML parser.
    """
    patterns: list[str] = []
    inside = False
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not line[0].isspace() and not line.startswith("-"):
            key, _, rest = line.partition(":")
            inside = key.strip() == "packages"
            flow = rest.split("#", 1)[0].strip()
            if inside and flow.startswith("[") and flow.endswith("]"):
                patterns += [p.strip().strip("'\"") for p in flow[1:-1].split(",") if p.strip()]
                inside = False
            continue
        item = _YAML_ITEM.match(line) if inside else None
        if item:
            patterns.append(next(g for g in item.groups() if g is not None))
    return tuple(patterns)


def _json_object(path: Path) -> dict[str, Any] | None:
    try:
        value = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    return value if isinstance(value, dict) else None
