"""node_modules: installed once per dependency set, then reused byte for byte.

The key is everything that decides what an install produces: the lockfile, the
dependency fields of package.json, the install-time config files, patch
directories, the Node version, the package manager and the architecture. A
change to anything else (app code) restores the cached directory without
running the package manager, so the node_modules layer is the same bytes and
the registry already has it.

Two cached directories per key:

    node_modules      devDependencies pruned: the launch layer (/workspace/node_modules)
    node_modules-dev  the full install, kept only when the build needs devDependencies
                      (a build script, or root install scripts to replay); a copy of it
                      goes into the workspace, since build tools write into node_modules

Lifecycle scripts (postinstall, prepare…) of the root and of the linked packages
(workspace members, `file:` dependencies, whose directories are in the app, not
in node_modules) run during a real install. On a cache hit they are replayed,
in the order the install ran them, against the restored full tree, so whatever they
write into the workspace is there exactly as after a cold build. A lockfile the
install wrote (no lockfile in the source) is kept with the full tree, because
yarn 2+ will not run a script without one, and the build script sees the same
files either way. When the buildpack is done, package.json and the lockfiles
are put back as they were in the source: otherwise the app layer would depend
on whether the cache was hit.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from builder.buildpack.layers import new_layer
from builder.lifecycle.contract import BuildContext

from . import linked
from .managers import TOOLS, Commands
from .runtime import BUILDPACK

Run = Callable[[Sequence[str], str], None]
"""Runs argv in the workspace through the executor; the str names the step ("npm ci")."""

DEP_FIELDS = ("name", "version", "dependencies", "devDependencies", "optionalDependencies",
              "peerDependencies", "peerDependenciesMeta", "bundleDependencies", "bundledDependencies",
              "overrides", "resolutions", "workspaces", "pnpm", "packageManager")
INSTALL_SCRIPTS = ("preinstall", "install", "postinstall", "preprepare", "prepare", "postprepare")
BERRY_INSTALL_SCRIPTS = ("preinstall", "install", "postinstall")  # yarn 2+ runs no prepare on install
NPM_INSTALL_SCRIPTS = ("preinstall", "install", "postinstall", "prepublish", "preprepare", "prepare", "postprepare")
YARN_INSTALL_SCRIPTS = ("preinstall", "install", "postinstall", "prepare")  # yarn v1, seen with 1.22
CONFIG_FILES = (".npmrc", ".yarnrc", ".yarnrc.yml", "pnpm-workspace.yaml", ".pnpmfile.cjs")
PATCH_DIRS = ("patches", ".yarn/patches")
MANIFESTS = ("package.json", "package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml",
             ".yarn/install-state.gz")


def has_dependencies(package: Mapping[str, Any], lockfile: str) -> bool:
    """False for a package.json with nothing to install: no manager run, no node_modules layer."""
    return bool(lockfile) or any(package.get(f) for f in ("dependencies", "devDependencies", "optionalDependencies"))


def _scripts(package: Mapping[str, Any]) -> dict[str, Any]:
    scripts = package.get("scripts")
    return scripts if isinstance(scripts, dict) else {}


def deps_metadata(workspace: Path, package: Mapping[str, Any], *, lockfile: str, manager: str,
                  node_version: str, arch: str) -> dict[str, str]:
    """The cache key of node_modules, as layer metadata (also useful in the image's build report)."""
    digest = hashlib.sha256()

    def add(label: str, data: bytes) -> None:
        digest.update(f"{label}\0{len(data)}\0".encode())
        digest.update(data)

    fields = {f: package[f] for f in DEP_FIELDS if f in package}
    scripts = _scripts(package)
    fields["scripts"] = {s: scripts[s] for s in INSTALL_SCRIPTS if s in scripts}
    add("package.json", json.dumps(fields, sort_keys=True, separators=(",", ":")).encode())
    for name in (lockfile, *CONFIG_FILES):
        if name and (workspace / name).is_file():
            add(name, (workspace / name).read_bytes())
    for directory in PATCH_DIRS:
        root = workspace / directory
        if root.is_dir():
            for path in sorted(p for p in root.rglob("*") if p.is_file()):
                add(path.relative_to(workspace).as_posix(), path.read_bytes())
    return {"deps": digest.hexdigest(), "lockfile": lockfile or "none", "manager": manager,
            "node": node_version, "arch": arch}


def replay_commands(workspace: Path, package: Mapping[str, Any], manager: str, runner: str,
                    member_dir: str = "") -> list[tuple[str, ...]]:
    """What an install runs outside node_modules, in install order, to repeat on a cache hit.

    First the linked packages' install scripts (workspace members, `file:`
    dependencies: see linked.py), then the root package's own. `runner` is the
    manager's command (npm, pnpm, yarn); `member_dir` the workspace member an
    npm install was limited to. Each script runs once, as the install ran it:
    npm's `run --ignore-scripts` runs the named script without its pre/post
    scripts, and yarn v1 runs no preprepare/postprepare at install (its `run
    install` brings preinstall and postinstall). A root binding.gyp with no
    install script means an implicit `node-gyp rebuild`, as npm and yarn do.
    """
    scripts = _scripts(package)
    links = linked.link_replays(workspace, manager, member_dir)
    names: tuple[str, ...]
    if manager == "yarn-berry":
        names = BERRY_INSTALL_SCRIPTS
    elif manager == "yarn":
        names = YARN_INSTALL_SCRIPTS
        if isinstance(scripts.get("install"), str) and scripts["install"].strip():
            names = tuple(n for n in names if n not in ("preinstall", "postinstall"))
    elif manager == "npm":
        names = NPM_INSTALL_SCRIPTS
    else:
        names = INSTALL_SCRIPTS
    run = (runner, "run", "--ignore-scripts") if manager == "npm" else (runner, "run")
    commands: list[tuple[str, ...]] = []
    for name in names:
        if isinstance(scripts.get(name), str) and scripts[name].strip():
            commands.append((*run, name))
        elif name == "install" and implicit_gyp(workspace, package):
            commands.append(("node-gyp", "rebuild"))
    if manager == "yarn" and commands[:1] == [(runner, "run", "preinstall")]:
        return [commands[0], *links, *commands[1:]]  # yarn v1: the root's preinstall comes first
    return [*links, *commands]


KEEP_DEV_SWITCHES = {"npm": ("NPM_CONFIG_PRODUCTION", "npm_config_production"),
                     "yarn": ("YARN_PRODUCTION", "yarn_production")}


def keep_dev_switch(env: Mapping[str, str], manager: str) -> str | None:
    """`NAME=false` when the build env turns pruning off (Heroku's switches), else None.

    NPM_CONFIG_PRODUCTION=false (npm) and YARN_PRODUCTION=false (yarn v1) keep
    the devDependencies in the image. The value is part of the node_modules
    cache key (see dev_metadata), so a build without it never gets the
    unpruned tree.
    """
    for name in KEEP_DEV_SWITCHES.get(manager, ()):
        if env.get(name, "").strip().lower() == "false":
            return f"{name}=false"
    return None


def dev_metadata(env: Mapping[str, str], manager: str) -> dict[str, str]:
    """What the node_modules cache key adds when devDependencies are kept."""
    return {"dev": "kept"} if keep_dev_switch(env, manager) else {}


def implicit_gyp(workspace: Path, package: Mapping[str, Any]) -> bool:
    """True when installing the root package compiles its binding.gyp (no install/preinstall script of its own)."""
    scripts = _scripts(package)
    return (workspace / "binding.gyp").is_file() and not scripts.get("install") and not scripts.get("preinstall")


@dataclass(frozen=True)
class Hooks:
    """The app's own scripts around the install, by name (see detectors.nodejs, BUILD STEP).

    `prebuild` runs before the install (Heroku's heroku-prebuild), `build`
    after it with devDependencies present (heroku-postbuild, gcp-build or
    build), `cleanup` after the prune (heroku-cleanup). They run on every
    build, cached dependencies or not, since what they write into the app is
    not cached.
    """

    prebuild: tuple[str, ...] = ()
    build: tuple[str, ...] = ()
    cleanup: tuple[str, ...] = ()

    @classmethod
    def from_plan(cls, requires: Mapping[str, str]) -> Hooks:
        def names(key: str) -> tuple[str, ...]:
            return tuple(n for n in requires.get(key, "").split(",") if n)

        return cls(names("prebuild_scripts"), names("build_scripts"), names("cleanup_scripts"))

    def __bool__(self) -> bool:
        return bool(self.prebuild or self.build or self.cleanup)


def run_hooks(tools: Toolchain, names: Sequence[str], *, build: bool = False) -> None:
    """Run package scripts `names` in order (`build`: with the build env's NODE_ENV, as the build step)."""
    for name in names:
        argv = tools.cmds.run_script(name)
        (tools.run_build if build else tools.run)(argv, " ".join(argv))


@dataclass(frozen=True)
class Toolchain:
    """A package manager ready to run: its commands, and runners for install steps and the build script.

    `run_build` differs from `run` only in keeping the build env's NODE_ENV.
    """

    cmds: Commands
    run: Run
    run_build: Run


def install(ctx: BuildContext, manager: str, package: Mapping[str, Any], meta: Mapping[str, str],
            toolchain: Callable[[], Toolchain], *, hooks: Hooks = Hooks()) -> Path:
    """Run hooks.prebuild, install (or restore), run hooks.build, prune, run hooks.cleanup; return the cached
    node_modules.

    `toolchain` is called only when a command has to run, so a build whose
    dependencies are cached and that has no hooks needs neither the package
    manager nor the registry. heroku-cleanup runs against the pruned tree
    before it is cached, so what it removes from node_modules stays removed
    on later builds that restore it (on those it runs with no node_modules in
    the app: the cached tree already holds its effect). The workspace's
    manifests are as they were on return.
    """
    cache = ctx.cache
    replay = replay_commands(ctx.workspace, package, manager, TOOLS[manager][2], meta.get("app_dir", ""))
    needs_dev_tree = bool(hooks.build) or bool(replay)
    pruned = cache.restore(BUILDPACK, "node_modules", meta)
    if (kept_by := keep_dev_switch(ctx.env, manager)) is not None and pruned is not None:
        ctx.log(f"{kept_by}: devDependencies are kept in the image (not pruned)")
    if pruned is not None and not needs_dev_tree and not hooks:
        ctx.log("node_modules: dependencies unchanged, reusing the cached install")
        return pruned
    tools = toolchain()
    cmds, run = tools.cmds, tools.run
    modules = ctx.workspace / "node_modules"
    run_hooks(tools, hooks.prebuild)
    if pruned is not None and not needs_dev_tree:
        ctx.log("node_modules: dependencies unchanged, reusing the cached install")
        run_hooks(tools, hooks.cleanup)
        return pruned
    with _manifests_kept(ctx.workspace) as original:
        _remove(modules)
        full = cache.restore(BUILDPACK, "node_modules-dev", meta) if needs_dev_tree else None
        if full is not None:
            ctx.log("node_modules: dependencies unchanged, restoring the cached install for the build")
            shutil.copytree(full / "node_modules", modules, symlinks=True)
            _copy_files(full / "manifests", ctx.workspace)  # a lockfile the install wrote, as it wrote it
            for argv in replay:
                run(argv, " ".join(argv))
        else:
            run(cmds.install, " ".join(cmds.install[:2]))
            modules.mkdir(exist_ok=True)
            if needs_dev_tree:
                def fill(fresh: Path) -> None:
                    shutil.copytree(modules, fresh / "node_modules", symlinks=True)
                    _copy_files(ctx.workspace, fresh / "manifests", _changed(ctx.workspace, original))

                new_layer(cache, BUILDPACK, "node_modules-dev", meta, fill)
        run_hooks(tools, hooks.build, build=True)
        if pruned is not None:
            _remove(modules)
            run_hooks(tools, hooks.cleanup)
            return pruned
        _remove(modules / ".cache")  # build tools' caches are not dependencies
        if kept_by is not None:
            ctx.log(f"{kept_by}: devDependencies are kept in the image (not pruned)")
        elif cmds.prune is None:
            ctx.log(f"{cmds.manager}: this version cannot prune devDependencies; they stay in the image")
        else:
            run(cmds.prune, " ".join(cmds.prune[:2]))
        removed = remove_native_leftovers(modules)
        if removed:
            ctx.log(f"node_modules: removed {removed} native build leftovers (object files); the .node modules stay")
        run_hooks(tools, hooks.cleanup)
        committed = new_layer(cache, BUILDPACK, "node_modules", meta, lambda fresh: _move_children(modules, fresh))
        _remove(modules)
    return committed


GYP_LEFTOVER_DIRS = frozenset({"obj.target", ".deps", "obj"})


def remove_native_leftovers(modules: Path) -> int:
    """Remove node-gyp's intermediate files from the packages in `modules`; the number of paths removed.

    In each package with a binding.gyp, inside its build directories (`build/`,
    `build-tmp-*/`, where node-gyp and prebuild put their output): the
    `Release|Debug/obj.target`, `.deps` and `obj` directories and `*.o` files.
    What loads at run time stays: the `.node` files (`bindings` and
    `node-gyp-build` look for them in build/Release, build/Debug, …) and the
    shared libraries beside them (`lib.target/`, loaded through the module's
    `$ORIGIN` rpath).
    """
    count = 0
    for gyp in sorted(modules.rglob("binding.gyp")):
        package = gyp.parent
        if not (package / "package.json").is_file():
            continue
        for build in sorted(d for d in package.iterdir() if d.is_dir() and not d.is_symlink()
                            and (d.name == "build" or d.name.startswith("build-tmp-"))):
            for config in sorted(c for c in build.iterdir() if c.is_dir() and not c.is_symlink()):
                for name in sorted(GYP_LEFTOVER_DIRS):
                    if (config / name).is_dir() and not (config / name).is_symlink():
                        shutil.rmtree(config / name)
                        count += 1
            for obj in sorted(build.rglob("*.o")):
                if obj.is_file() and not obj.is_symlink():
                    obj.unlink()
                    count += 1
    return count


@contextmanager
def _manifests_kept(workspace: Path) -> Iterator[Mapping[str, bytes | None]]:
    """Put package.json and the lockfiles back as they were when the block ends, whatever it wrote.

    Yields what each of MANIFESTS held before (None: absent).
    """
    before = {name: (workspace / name).read_bytes() if (workspace / name).is_file() else None for name in MANIFESTS}
    dirs = {str(Path(name).parent) for name in MANIFESTS if "/" in name}
    new_dirs = sorted(d for d in dirs if not (workspace / d).exists())
    try:
        yield before
    finally:
        for name, content in before.items():
            path = workspace / name
            if content is None:
                path.unlink(missing_ok=True)
            elif not path.is_file() or path.read_bytes() != content:
                path.write_bytes(content)
        for directory in new_dirs:  # e.g. .yarn/, made only to hold install state
            with suppress(OSError):
                (workspace / directory).rmdir()


def _changed(workspace: Path, before: Mapping[str, bytes | None]) -> list[str]:
    """The MANIFESTS an install created or rewrote."""
    return [name for name, content in before.items()
            if (workspace / name).is_file() and (workspace / name).read_bytes() != content]


def _copy_files(source: Path, target: Path, names: Sequence[str] | None = None) -> None:
    """Copy `names` (default: every file under `source`) from `source` to `target`, keeping relative paths."""
    if names is None:
        names = [p.relative_to(source).as_posix() for p in source.rglob("*") if p.is_file()] if source.is_dir() else []
    for name in names:
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / name, target / name)


def _move_children(source: Path, target: Path) -> None:
    for child in sorted(source.iterdir()):
        shutil.move(str(child), str(target / child.name))


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.exists():
        shutil.rmtree(path)
