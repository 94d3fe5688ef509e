"""Detecting a member of a JavaScript workspace: the app's own facts, the workspace root's install.

When `--subdir` names a workspace member, the workspace is the workspace root
and `app_dir` the member (see `builder.source._monorepo`). What the app *is*
comes from the member's directory, what *installs* it from the root, as npm,
pnpm and yarn themselves see it:

    from the member   package.json, scripts.build, the start command (Procfile, scripts.start,
                      server.js…), engines.node / .nvmrc / .node-version
    from the root     packageManager, the lockfile (the only one a workspace has), and the
                      Node version when the member asks for none

The result is one `node` requirement like any other, plus `app_dir`.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from collections.abc import Callable, Mapping
from pathlib import Path

from builder.lifecycle.contract import Detection, Require
from builder.source import declaration, member_dirs, package_name

from ._files import read_json_object

DetectFn = Callable[[Path, Mapping[str, str]], Detection]



def _from_root(key: str) -> bool:
    """Requirement metadata that the workspace root decides: package_manager* and lockfile."""
    return key.startswith("package_manager") or key == "lockfile"


def member_detection(detect: DetectFn, workspace: Path, env: Mapping[str, str], app_dir: str) -> Detection:
    """`detect` run on the member at `app_dir` and on the workspace root, merged as above."""
    member = detect(workspace / app_dir, env)
    if not member.passed:
        return Detection(member.buildpack, False, tuple(f"{app_dir}: {r}" for r in member.reasons),
                         malformed=member.malformed)
    root = detect(workspace, env)
    own, top = member.metadata("node"), root.metadata("node")
    merged = {**{k: v for k, v in own.items() if not _from_root(k)},
              **{k: v for k, v in top.items() if _from_root(k)}, "app_dir": app_dir}
    node_reason = None
    if own.get("node_source") == "default" and top.get("node_source", "default") != "default":
        merged["node"], merged["node_source"] = top["node"], f"workspace root {top['node_source']}"
        node_reason = f"Node.js '{top['node']}' from the workspace root's {top['node_source']}"
    installer = next((r for r in root.reasons if r.startswith("package manager ")), "")
    reasons = [f"{app_dir} is a member of a JavaScript workspace: it installs from the workspace root "
               "with the members it depends on"]
    for reason in member.reasons:
        if reason.startswith("package manager "):
            reason = f"{installer} (at the workspace root)"
        elif reason.startswith("no Node.js version asked for") and node_reason:
            reason = node_reason
        reasons.append(reason)
    return Detection(member.buildpack, True, tuple(reasons), provides=member.provides,
                     requires=tuple(Require(r.name, merged) if r.name == "node" else r for r in member.requires))


_LOCATION_OPTIONS = {  # runner -> options naming where the script runs (a member or a directory)
    "npm": ("--workspace", "-w", "--prefix"),
    "pnpm": ("--filter", "-F", "--dir", "-C"),
    "yarn": ("--cwd",),
}
_CONTROL = re.compile(r"&&|\|\||[;&|\n`]|\$\(|\(|\)")


def simple_words(command: str) -> list[str] | None:
    """The words of `command` when it is one simple command (no && || ; | & ( ) ` $(), else None."""
    if _CONTROL.search(command):
        return None
    try:
        return shlex.split(command)
    except ValueError:
        return None


def located_call(command: str) -> tuple[str, str] | None:
    """(the command without its location, the member or directory it names) when `command` runs a package
    script somewhere else: `npm run start --workspace=apps/api`, `npm -w apps/api start`,
    `npm --prefix apps/api start`, `yarn workspace @acme/api start`, `yarn --cwd apps/api start`,
    `pnpm --filter @acme/api start`, `pnpm -C apps/api start`. None for anything else."""
    words = simple_words(command)
    if words is None:
        return None
    start = 0
    while start < len(words) and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", words[start]):
        start += 1
    if start >= len(words) or words[start] not in _LOCATION_OPTIONS:
        return None
    runner = words[start]
    end = words.index("--") if "--" in words[start:] else len(words)
    kept, where = list(words[:start + 1]), None
    i = start + 1
    if runner == "yarn" and i + 1 < end and words[i] == "workspace":  # yarn workspace NAME SCRIPT…
        where, i = words[i + 1], i + 2
    while i < end:
        word = words[i]
        name, eq, value = word.partition("=")
        if name in _LOCATION_OPTIONS[runner] and where is None:
            if eq:
                where, i = value, i + 1
                continue
            if i + 1 < end:
                where, i = words[i + 1], i + 2
                continue
        kept.append(word)
        i += 1
    if not where:
        return None
    return shlex.join(kept + words[end:]), where


def member_dir(workspace: Path, where: str) -> str | None:
    """The directory (relative to `workspace`) a location option names: a directory with a package.json
    inside the workspace, or a declared member's package name. None when there is no such package."""
    rel = posixpath.normpath(where.strip().removeprefix("./"))
    if not rel.startswith(("..", "/")) and rel != "." and (workspace / rel / "package.json").is_file():
        return rel
    found = declaration(workspace)
    for member in member_dirs(workspace, found.patterns) if found else ():
        if package_name(workspace / member) == where:
            return member
    return None


def located_problem(workspace: Path, command: str, process: str = "web") -> tuple[str, str] | None:
    """(message, hint) when `command` runs a package script of another member or directory that this app
    cannot resolve (no such package, or no such script in it); None when it resolves or is no such call."""
    located = located_call(command)
    if located is None:
        return None
    inner, where = located
    rel = member_dir(workspace, where)
    subdir = rel or where
    hint = (f"build that member with `--subdir {subdir}` (dockless keeps the workspace root), "
            f"or start it with node directly")
    if rel is None:
        return (f"process '{process}' runs '{command}', but this app has no package {where}", hint)
    words = inner.split()
    package = read_json_object(workspace / rel / "package.json") or {}
    scripts = package.get("scripts") if isinstance(package.get("scripts"), dict) else {}
    rest = [w for w in words[1:] if not w.startswith("-")]
    name = rest[1] if rest[:1] in (["run"], ["run-script"]) and len(rest) > 1 else (rest[0] if rest else "")
    if name in ("test", "t") and words[0] == "npm":
        name = "test"
    has = isinstance(scripts, dict) and isinstance(scripts.get(name), str) and scripts[name].strip()
    if not has and not (name == "start" and (workspace / rel / "server.js").is_file()):
        return (f"process '{process}' runs '{command}', but {rel}/package.json has no scripts.{name}", hint)
    return None
