"""Linked packages' lifecycle scripts: what an install runs *outside* node_modules, to repeat on a cache hit.

A workspace member or a `file:` dependency is installed as a symlink in
node_modules to a directory of the app. The package manager runs that
package's install scripts in the app's directory, so what they write (a
member's `prepare` that compiles `lib/index.js`, often gitignored) is in the
workspace, not in the cached node_modules. A build that restores node_modules
from the cache must run them again, or the image lacks those files (a
fresh-user trial shipped a monorepo image that crashed at start, and the
same commit gave different digests cold and warm).

What each manager runs, and in which order (seen with npm 10/11 and yarn 1.22):

    npm (arborist)  the link nodes of the install, sorted by location; for each event in
                    preinstall, prepare, install, postinstall: that event of every link
                    (only the event itself, no pre/post scripts; `install` is an implicit
                    `node-gyp rebuild` for a binding.gyp without install/preinstall scripts);
                    then the root's (deps.replay_commands). With `--workspace M
                    --include-workspace-root` only the links the root and M reach.
    yarn v1         every workspace member, dependencies first: preinstall, install,
                    postinstall (no prepare); `file:` dependencies are copies inside
                    node_modules, so the cache already holds what their scripts did.

pnpm and yarn 2+ are not replayed here (pnpm workspaces with member
dependencies are refused, see workspaces.find_member).
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from builder.source import declaration, dependency_names, member_dirs, package_name
from detectors._files import read_json_object

NPM_LINK_EVENTS = ("preinstall", "prepare", "install", "postinstall")
YARN_MEMBER_EVENTS = ("preinstall", "install", "postinstall")
_DEP_KEYS = ("dependencies", "devDependencies", "optionalDependencies", "peerDependencies")


def link_replays(workspace: Path, manager: str, member_dir: str = "") -> list[tuple[str, ...]]:
    """The argv lists (run at the workspace root) that repeat the linked packages' install scripts."""
    if manager == "npm":
        return _npm(workspace, member_dir)
    if manager == "yarn":
        return _yarn(workspace)
    return []


def _scripts(package: Mapping[str, Any]) -> dict[str, str]:
    scripts = package.get("scripts")
    if not isinstance(scripts, dict):
        return {}
    return {k: v for k, v in scripts.items() if isinstance(v, str) and v.strip()}


def _gyp(directory: Path, package: Mapping[str, Any]) -> bool:
    """npm's implicit `node-gyp rebuild`: a binding.gyp, no install/preinstall script, gypfile not false."""
    scripts = _scripts(package)
    return (package.get("gypfile") is not False and "install" not in scripts and "preinstall" not in scripts
            and (directory / "binding.gyp").is_file())


def npm_links(workspace: Path, member_dir: str = "") -> list[str]:
    """The link targets (relative directories) npm ci builds, in arborist's order (by link location).

    From package-lock.json (or npm-shrinkwrap.json): entries with `"link": true`
    whose target is inside the workspace. With `member_dir` (npm ci --workspace
    member_dir --include-workspace-root) only those the root and the member reach.
    """
    lock = read_json_object(workspace / "package-lock.json") or read_json_object(workspace / "npm-shrinkwrap.json")
    packages = lock.get("packages") if lock else None
    if not isinstance(packages, dict):
        return []
    links: dict[str, str] = {}  # location (node_modules/@a/b) -> target directory
    for location, entry in packages.items():
        if not (isinstance(location, str) and isinstance(entry, dict) and entry.get("link") is True):
            continue
        target = entry.get("resolved")
        if not isinstance(target, str):
            continue
        target = posixpath.normpath(target)
        if target.startswith(("..", "/")) or target == ".":
            continue  # outside the app: not shipped, nothing to replay
        links[location] = target
    if member_dir:
        by_target = {t: loc for loc, t in links.items()}
        reached: set[str] = set()
        todo = ["", member_dir]
        while todo:
            here = todo.pop()
            entry = packages.get(here)
            if here in by_target:
                reached.add(by_target[here])
            if not isinstance(entry, dict):
                continue
            for key in _DEP_KEYS:
                deps = entry.get(key)
                for name in deps if isinstance(deps, dict) else ():
                    for location in (posixpath.join(here, "node_modules", name) if here else "", f"node_modules/{name}"):
                        if location in links and location not in reached:
                            reached.add(location)
                            todo.append(links[location])
                            break
        links = {loc: t for loc, t in links.items() if loc in reached}
    return [links[loc] for loc in sorted(links, key=lambda loc: (loc.count("/node_modules/"), loc))]


def _npm(workspace: Path, member_dir: str) -> list[tuple[str, ...]]:
    targets = [(t, read_json_object(workspace / t / "package.json") or {}) for t in npm_links(workspace, member_dir)]
    commands: list[tuple[str, ...]] = []
    for event in NPM_LINK_EVENTS:
        for target, package in targets:
            if event in _scripts(package):
                # --ignore-scripts: `npm run` still runs the named script, but not its pre/post scripts
                commands.append(("npm", "--prefix", target, "run", "--ignore-scripts", event))
            elif event == "install" and _gyp(workspace / target, package):
                commands.append(("sh", "-c", 'cd "$0" && exec node-gyp rebuild', target))
    return commands


def yarn_members(workspace: Path) -> list[str]:
    """yarn v1's workspace members, dependencies before their dependents (ties by path)."""
    found = declaration(workspace)
    if found is None or found.file != "package.json":
        return []
    dirs = sorted(member_dirs(workspace, found.patterns))
    by_name = {name: rel for rel in dirs if (name := package_name(workspace / rel))}
    needs = {rel: {by_name[d] for d in dependency_names(read_json_object(workspace / rel / "package.json") or {})
                   if d in by_name and by_name[d] != rel} for rel in dirs}
    ordered: list[str] = []
    while needs:
        ready = sorted(rel for rel, deps in needs.items() if not deps - set(ordered))
        if not ready:  # a cycle: the rest by path
            ready = sorted(needs)
        ordered.extend(ready)
        for rel in ready:
            del needs[rel]
    return ordered


def _yarn(workspace: Path) -> list[tuple[str, ...]]:
    commands: list[tuple[str, ...]] = []
    for member in yarn_members(workspace):
        scripts = _scripts(read_json_object(workspace / member / "package.json") or {})
        # `yarn run install` runs preinstall and postinstall around it, as the install did
        events = ("install",) if "install" in scripts else tuple(e for e in YARN_MEMBER_EVENTS if e in scripts)
        commands += [("yarn", "--cwd", member, "run", event) for event in events]
    return commands
