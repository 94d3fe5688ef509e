"""Node's own launch checks, run at the end of the build, before export: can the app start?

The lifecycle's generic check (`builder.lifecycle.launchcheck`) makes sure each
process's executable is in the image. What it cannot know is Node's:

- **The entry file exists.** `node dist/server.js` where the build wrote
  `build/server.js` (or a `heroku-postbuild` that never ran) starts, then dies
  with MODULE_NOT_FOUND. The target is resolved as Node's CommonJS loader
  resolves a main module: FILE, FILE.js / .json / .node (and .mjs / .cjs), a
  directory's package.json `main`, then its index.js — relative to the
  process's working directory, in the built app or the node_modules layer.
- **Native modules load.** Every `.node` file in node_modules (and the app) is
  an ELF shared object for the image's architecture. A blocked install script
  leaves whatever the package tarball shipped (node-expat 2.4.1 ships a macOS
  arm64 build), and a failed one can leave a stub. Files under a directory
  named for another platform or CPU (node-gyp-build's `prebuilds/darwin-x64/`,
  node-pre-gyp's `…-win32-ia32/`) are never loaded on linux and are skipped.
- **No package manager in a compound script.** `node migrate.js && npx serve`
  needs npx at launch; the generic check only reads one-command scripts.

A failure is a BuildError (exit 5): one line naming the process and what is missing.
"""

from __future__ import annotations

import json
import os
import posixpath
import re
import shlex
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from builder.buildpack.elf import shared_object_problem
from builder.errors import BuildError
from builder.lifecycle.contract import WORKSPACE, Process

PACKAGE_MANAGERS = frozenset({"npm", "npx", "yarn", "pnpm", "pnpx", "corepack"})
SHELLS = frozenset({"/bin/sh", "/bin/bash", "/usr/bin/sh", "/usr/bin/bash", "sh", "bash"})
_SPLIT = re.compile(r"&&|\|\||[;&|\n]")
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_DYNAMIC = re.compile(r"[$`*?\[\]{}~]")
# node options followed by a separate value (`node -r dotenv/config server.js`).
_VALUE_OPTIONS = frozenset({
    "-r", "--require", "--import", "--loader", "--experimental-loader", "--env-file", "--env-file-if-exists",
    "-C", "--conditions", "--input-type", "--title", "--inspect-port", "--debug-port", "--redirect-warnings",
    "--openssl-config", "--icu-data-dir", "--diagnostic-dir", "--report-directory", "--report-filename",
    "--disable-warning", "--watch-path", "--experimental-config-file", "--stack-size", "--max-old-space-size",
    "--heapsnapshot-signal", "--dns-result-order", "--unhandled-rejections", "--trace-event-categories",
})
# node options after which there is no entry file to check.
_NO_ENTRY = frozenset({"-e", "--eval", "-p", "--print", "-i", "--interactive", "-v", "--version", "-h", "--help",
                       "-", "--test", "--run", "-c", "--check"})
_EXTENSIONS = ("", ".js", ".json", ".node", ".mjs", ".cjs")
_PLATFORMS = ("darwin", "macos", "osx", "win32", "win64", "windows", "freebsd", "openbsd", "netbsd", "sunos",
              "solaris", "aix", "android")
_ARCHES = {
    "amd64": ("x64", "amd64", "x86_64", "x86-64"),
    "arm64": ("arm64", "aarch64"),
    "arm": ("arm", "armv7", "armv7l", "armhf", "armv6", "armv6l"),
    "386": ("ia32", "x86", "i386", "i686"),
    "ppc64le": ("ppc64le", "ppc64"),
    "s390x": ("s390x",),
    "riscv64": ("riscv64",),
    "loong64": ("loong64",),
}


def check(processes: Sequence[Process], *, workspace: Path, node_modules: Path | None, arch: str,
          node: str, dev_bins: Mapping[str, str] | None = None, node_script: tuple[str, str] | None = None) -> None:
    """Raise BuildError for the first process that cannot start; `node` is the runtime's path in the image.

    `workspace` is the built app (host path of WORKSPACE), `node_modules` the
    node_modules layer (host path of WORKSPACE/node_modules), `arch` the image's
    architecture (OCI name), `dev_bins` the commands devDependencies provide (see dev_bins),
    `node_script` the app's own script that starts with node, as (its call, its command) (see node_script).
    """
    roots: list[tuple[str, Path | None]] = [(f"{WORKSPACE}/node_modules", node_modules), (WORKSPACE, workspace)]
    for process in processes:
        for words, cwd in _commands(process):
            if words[0] in PACKAGE_MANAGERS or posixpath.basename(words[0]) in PACKAGE_MANAGERS:
                raise BuildError(f"process '{process.type}' cannot start: it runs {words[0]}, which is not in the "
                                 "image", f"{words[0]} is a build tool and does not ship; start the app with node "
                                 "directly (e.g. 'web: node server.js')")
            if (dev_bins and words[0] in dev_bins and "/" not in words[0]
                    and not (node_modules is not None and (node_modules / ".bin" / words[0]).exists())):
                package = dev_bins[words[0]]
                raise BuildError(f"process '{process.type}' cannot start: '{words[0]}' comes from the devDependency "
                                 f"{package}, which is pruned from the image",
                                 f"move {package} from devDependencies to dependencies in package.json, or keep "
                                 "devDependencies with --env NPM_CONFIG_PRODUCTION=false (npm) / "
                                 "YARN_PRODUCTION=false (yarn 1); or build to JavaScript and start with node"
                                 + (f"; or use '{process.type}: {node_script[0]}' in a Procfile (it runs "
                                    f"{node_script[1]})" if node_script else ""))
            if words[0] in ("node", node) and cwd is not None:
                _check_entry(process, words[1:], roots, cwd)
    default = next((p for p in processes if p.default), processes[0] if processes else None)
    if default is not None:
        for where, directory in ((f"{WORKSPACE}/node_modules", node_modules), (WORKSPACE, workspace)):
            if directory is not None:
                _check_native(default, directory, where, arch)


def _commands(process: Process) -> Iterator[tuple[list[str], str | None]]:
    """Each simple command a process runs, as words (assignments and `exec` dropped), with the directory it
    runs in: the process's working directory, moved by a `cd DIR` before it (None once that is unknowable)."""
    argv = list(process.command)
    cwd: str | None = process.working_dir
    if len(argv) >= 3 and argv[0] in SHELLS and argv[1] == "-c":
        pieces = [p for p in _SPLIT.split(argv[2].replace("{", " ").replace("}", " ")) if p.strip()]
    else:
        pieces = []
        if argv:
            yield argv, cwd
    for piece in pieces:
        if "$(" in piece or "`" in piece:
            continue
        try:
            words = shlex.split(piece)
        except ValueError:
            continue
        while words and (_ASSIGNMENT.match(words[0]) or words[0] in ("exec", "export")):
            words.pop(0)
        if words and words[0] == "cd":
            static = len(words) == 2 and not _DYNAMIC.search(words[1]) and not words[1].startswith("~")
            cwd = posixpath.normpath(posixpath.join(cwd, words[1])) if static and cwd is not None else None
        elif words:
            yield words, cwd


def _entry(args: Sequence[str]) -> str | None:
    """The script `node ARGS…` runs, None when there is none to check (`-e`, a variable, …)."""
    skip = False
    for i, arg in enumerate(args):
        if skip:
            skip = False
            continue
        if arg == "--":
            return args[i + 1] if i + 1 < len(args) else None
        if arg in _NO_ENTRY or arg.split("=", 1)[0] in _NO_ENTRY:
            return None
        if arg.startswith("-"):
            skip = arg in _VALUE_OPTIONS
            continue
        return arg
    return None


def _check_entry(process: Process, args: Sequence[str], roots: list[tuple[str, Path | None]], cwd: str) -> None:
    entry = _entry(args)
    if entry is None or _DYNAMIC.search(entry) or entry == '"$@"':
        return
    target = posixpath.normpath(posixpath.join(cwd, entry))
    host = _host(target, roots)
    if host is None:
        return  # outside the app (e.g. /layers/…): the generic check's business
    if _resolve(host) is None:
        raise BuildError(f"process '{process.type}' cannot start: node's entry '{entry}' is not in the built app "
                         f"(no {entry}, {entry}.js or {entry}/index.js in {cwd})",
                         "fix the path in the start command, or make the build write it "
                         "(scripts.build, heroku-postbuild or gcp-build runs after the install)")


def _host(path: str, roots: list[tuple[str, Path | None]]) -> Path | None:
    for target, host in roots:
        if host is not None and (path == target or path.startswith(target + "/")):
            return host / path[len(target):].lstrip("/")
    return None


def _resolve(path: Path) -> Path | None:
    """`path` as Node resolves a main module, None when nothing is there."""
    for ext in _EXTENSIONS:
        candidate = path.with_name(path.name + ext) if ext else path
        if candidate.is_file():
            return candidate
    if path.is_dir():
        main = _package_main(path / "package.json")
        if main:
            found = _resolve_file(path / main) or _resolve_index(path / main)
            if found is not None:
                return found
        return _resolve_index(path)
    return None


def _resolve_file(path: Path) -> Path | None:
    return next((c for ext in _EXTENSIONS if (c := path.with_name(path.name + ext) if ext else path).is_file()), None)


def _resolve_index(path: Path) -> Path | None:
    return next((c for ext in (".js", ".json", ".node", ".mjs", ".cjs") if (c := path / f"index{ext}").is_file()),
                None)


def _package_main(path: Path) -> str | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    main = data.get("main") if isinstance(data, dict) else None
    return main if isinstance(main, str) and main.strip() else None


def _check_native(process: Process, root: Path, where: str, arch: str) -> None:
    for path in _native_modules(root, skip_node_modules=where == WORKSPACE):
        rel = path.relative_to(root).as_posix()
        if not loadable_here(rel, arch):
            continue
        problem = shared_object_problem(path, arch)
        if problem is not None:
            raise BuildError(f"process '{process.type}' cannot start: native module {where}/{rel} is {problem}",
                             "its install script did not build it (blocked or failed: see the package manager's "
                             "warnings above); allow the package's install script, or use a version with a "
                             f"linux/{arch} build")


def _native_modules(root: Path, *, skip_node_modules: bool) -> Iterator[Path]:
    for directory, dirs, files in os.walk(root):
        if skip_node_modules:
            dirs[:] = [d for d in dirs if d not in ("node_modules", ".git")]
        for name in files:
            if name.endswith(".node"):
                path = Path(directory) / name
                if not path.is_symlink():
                    yield path


def loadable_here(rel: str, arch: str) -> bool:
    """False when a path names another OS or CPU (a prebuild for elsewhere, never loaded on linux/`arch`)."""
    tokens = re.split(r"[-_./@+\s]+", rel.lower())
    joined = "/" + rel.lower().replace("_", "-") + "/"
    if any(t in _PLATFORMS for t in tokens):
        return False
    mine = _ARCHES.get(arch, (arch,))
    others = {a for name, aliases in _ARCHES.items() if name != arch for a in aliases} - set(mine)
    for alias in sorted(others, key=len, reverse=True):
        if re.search(rf"(?<![a-z0-9]){re.escape(alias.replace('_', '-'))}(?![a-z0-9])", joined):
            if not any(re.search(rf"(?<![a-z0-9]){re.escape(m.replace('_', '-'))}(?![a-z0-9])", joined)
                       for m in mine):
                return False
    return True


def dev_bins(workspace: Path, app_dir: str = "") -> dict[str, str]:
    """Command name -> devDependency providing it, for the devDependencies the prune removes.

    From the root's (and a workspace member's) package.json devDependencies that
    are not also dependencies: the lockfile's `bin` of each (package-lock.json v2+),
    and the package's own name (`ts-node`, `nodemon`), as its usual command.
    """
    dev: set[str] = set()
    prod: set[str] = set()
    for directory in {workspace, workspace / app_dir}:
        try:
            data = json.loads((directory / "package.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict):
            for key, into in (("devDependencies", dev), ("dependencies", prod), ("optionalDependencies", prod)):
                if isinstance(data.get(key), dict):
                    into.update(k for k in data[key] if isinstance(k, str))
    dev -= prod
    bins = {name: name for name in sorted(dev) if not name.startswith("@")}  # @types/node is no `node`
    try:
        lock = json.loads((workspace / "package-lock.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        lock = {}
    packages = lock.get("packages") if isinstance(lock, dict) else None
    for name in sorted(dev):
        entry = packages.get(f"node_modules/{name}") if isinstance(packages, dict) else None
        if isinstance(entry, dict) and isinstance(entry.get("bin"), dict):
            bins.update({b: name for b in entry["bin"] if isinstance(b, str)})
    bins.pop("node", None)
    return bins


def node_script(package: Mapping[str, object] | None, manager: str) -> tuple[str, str] | None:
    """The app's own script that starts it with node, as (the call that runs it, its command), else None.

    NestJS generates `"start": "nest start"` (its CLI is a devDependency) beside
    `"start:prod": "node dist/main"`: that one works in the image. A script named
    like start/serve/prod is preferred; build and test scripts never count.
    """
    scripts = package.get("scripts") if package else None
    if not isinstance(scripts, dict):
        return None
    found = [(name, text.strip()) for name, text in scripts.items() if isinstance(name, str)
             and isinstance(text, str) and text.strip().startswith("node ")
             and not re.search(r"build|test|lint|dev|debug|watch|migrat|seed", name)]
    if not found:
        return None
    name, text = min(found, key=lambda item: (0 if "prod" in item[0] else 1 if "start" in item[0] or "serve" in
                                              item[0] else 2))
    runner = "yarn" if manager.startswith("yarn") else manager
    return (f"npm run {name}" if runner == "npm" else f"{runner} {name}"), text
