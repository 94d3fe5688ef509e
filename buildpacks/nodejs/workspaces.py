"""Building one member of a JavaScript workspace (`--subdir app/api` in an npm or yarn monorepo).

The SOURCE stage kept the workspace root and recorded the member as
`ctx.app_dir` (see `builder.source._monorepo`); the detector took the package
manager and lockfile from the root (`detectors._jsworkspace`). Here:

    install   at the root, limited to the member and what it needs where the manager can:
              npm ci --include=dev --workspace app/api --include-workspace-root
              (the member's dependencies, the root's, and links to the sibling members
              they name, all hoisted into the root node_modules: the layer that ships)
    build     the member's scripts (build, heroku-postbuild…): npm --workspace app/api run build,
              yarn workspace @demo/api run build (the script name last: Commands.run_script)
    prune     npm prune --omit=dev --workspace app/api --include-workspace-root
    launch    processes start in /workspace/app/api, so `node server.js` and
              require() resolve there and up to /workspace/node_modules
    app layer the root's files, the member and the siblings it depends on, transitively
              (node_modules/@demo/shared is a link to packages/shared, so that must ship);
              other members (app/web) stay out

Yarn has no install limited to one workspace that keeps the lockfile frozen
(berry's `workspaces focus` needs yarn 4 and rewrites install state), so with
yarn every member's dependencies are installed, as Heroku does for monorepos;
only the app layer is trimmed. pnpm is refused in one line: its isolated
layout puts each member's links in the member's own node_modules, which the
cached node_modules layer (the root's) does not carry, so a rebuild from cache
would ship an app that cannot find its dependencies.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from builder.errors import BuildError
from builder.lifecycle.contract import WORKSPACE, Process
from builder.source import declaration, dependency_names, member_dirs, package_name
from detectors._files import read_json_object

from .managers import Commands

NPM_WORKSPACE_MAJOR = 8  # `npm ci --workspace … --include-workspace-root` (npm 7 had no ci --workspace)


@dataclass(frozen=True)
class Member:
    """The member being built: its directory, package name, the member directories it needs
    (transitively, itself excluded) and the ones it does not (left out of the app layer)."""

    app_dir: str
    name: str | None
    needed: tuple[str, ...]
    unneeded: tuple[str, ...]

    @property
    def working_dir(self) -> str:
        return f"{WORKSPACE}/{self.app_dir}"


def find_member(workspace: Path, app_dir: str, manager: str) -> Member | None:
    """The member at `app_dir` of the workspace rooted at `workspace`; None for an ordinary build.

    BuildError (exit 5) for a manager that cannot build one member (pnpm), and for the root of a pnpm
    workspace whose members have dependencies of their own: pnpm links those into each member's own
    node_modules, which the node_modules layer does not carry, so the image would fail at the first
    require (a fresh-user trial built one that did).
    """
    if manager == "pnpm" and not app_dir:
        found = declaration(workspace)
        members = tuple(member_dirs(workspace, found.patterns)) if found else ()
        with_deps = [rel for rel in members
                     if dependency_names(read_json_object(workspace / rel / "package.json") or {})]
        if with_deps:
            raise BuildError(
                f"this pnpm workspace's members have dependencies of their own ({', '.join(with_deps[:3])}"
                f"{' …' if len(with_deps) > 3 else ''}), and dockless cannot build them yet: pnpm links them "
                "in each member's node_modules, which the node_modules layer does not carry",
                "use npm or yarn workspaces for this app, or move the members' dependencies to the root package.json")
    if not app_dir:
        return None
    if manager == "pnpm":
        raise BuildError(
            f"{app_dir} is a member of a pnpm workspace, and dockless cannot build a pnpm workspace member "
            "yet: pnpm links each member's dependencies in the member's own node_modules, which the "
            "node_modules layer does not carry",
            "use npm or yarn workspaces for this app (a pnpm workspace root built whole has the same gap: its "
            "members' own node_modules are not in the image)")
    found = declaration(workspace)
    dirs = tuple(member_dirs(workspace, found.patterns)) if found else ()
    by_name = {name: rel for rel in dirs if (name := package_name(workspace / rel))}
    needed: set[str] = set()
    todo = [app_dir, ""]  # the root's own dependencies are installed too (--include-workspace-root)
    while todo:
        package = read_json_object(workspace / todo.pop() / "package.json") or {}
        for dep in sorted(dependency_names(package)):
            rel = by_name.get(dep)
            if rel is not None and rel != app_dir and rel not in needed:
                needed.add(rel)
                todo.append(rel)
    kept = {app_dir, *needed}
    unneeded = tuple(d for d in dirs if d not in kept and not any(_inside(k, d) for k in kept))
    if manager == "npm":
        _refuse_nested_installs(workspace, sorted(kept))
    return Member(app_dir, package_name(workspace / app_dir), tuple(sorted(needed)), unneeded)


def _refuse_nested_installs(workspace: Path, kept: Sequence[str]) -> None:
    """BuildError when the lockfile installs packages inside a kept member's own node_modules.

    npm does that when two members need different versions of one package. Only
    the root node_modules is the (cached) node_modules layer, so such an app would
    build once and then ship without those packages from the cache: refused now,
    instead of an image that fails at require() later.
    """
    lock = read_json_object(workspace / "package-lock.json") or read_json_object(workspace / "npm-shrinkwrap.json")
    packages = lock.get("packages") if lock else None
    if not isinstance(packages, dict):
        return
    for member in kept:
        nested = sorted(k for k in packages if isinstance(k, str) and k.startswith(f"{member}/node_modules/"))
        if nested:
            name = nested[0][len(f"{member}/node_modules/"):]
            raise BuildError(f"{member} needs its own copy of {name} (package-lock.json installs it in "
                             f"{member}/node_modules), and dockless ships only the workspace root's node_modules",
                             "align the version of that dependency across the workspace's members, so that npm "
                             "hoists it to the root")


def scoped(cmds: Commands, member: Member, tool_version: str) -> Commands:
    """`cmds` for the workspace root, limited to `member` (see the module docstring)."""
    manager, major = cmds.manager, int(tool_version.split(".", 1)[0])
    if manager == "npm":
        if major < NPM_WORKSPACE_MAJOR:
            raise BuildError(f"npm {tool_version} cannot install one member ({member.app_dir}) of a workspace",
                             f"use npm {NPM_WORKSPACE_MAJOR} or newer: \"packageManager\": \"npm@10.9.2\" "
                             "in the workspace root's package.json, or engines.npm")
        only = ("--workspace", member.app_dir, "--include-workspace-root")
        return dataclasses.replace(cmds, install=(*cmds.install, *only),
                                   build=("npm", "--workspace", member.app_dir, "run", "build"),
                                   prune=(*cmds.prune, *only) if cmds.prune else None)
    if member.name is None:
        raise BuildError(f"{member.app_dir}/package.json has no name, and yarn runs a workspace's scripts by name",
                         f"add a \"name\" to {member.app_dir}/package.json")
    return dataclasses.replace(cmds, build=("yarn", "workspace", member.name, "run", "build"))


def launch_processes(processes: Sequence[Process], member: Member | None) -> list[Process]:
    """`processes`, started in the member's directory."""
    if member is None:
        return list(processes)
    return [dataclasses.replace(p, working_dir=member.working_dir) for p in processes]


def app_excludes(member: Member | None) -> frozenset[str]:
    """Workspace paths the app layer leaves out: the members this one does not need."""
    return frozenset(member.unneeded) if member else frozenset()


def metadata(member: Member | None) -> Mapping[str, str]:
    """What the node_modules cache key adds for a member: a different member installs differently."""
    return {"app_dir": member.app_dir} if member else {}


def install_note(member: Member, manager: str) -> str:
    """The log line saying what the install covers."""
    siblings = f" and {', '.join(member.needed)}" if member.needed else ""
    if manager == "npm":
        return f"workspace member {member.app_dir}: installing it{siblings} with npm --workspace"
    return (f"workspace member {member.app_dir}: {manager} installs every member's dependencies; "
            f"the image keeps {member.app_dir}{siblings}")


def _inside(path: str, parent: str) -> bool:
    return PurePosixPath(path).is_relative_to(PurePosixPath(parent))
