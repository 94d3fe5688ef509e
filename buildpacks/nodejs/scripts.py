"""Start commands that call a package manager, turned into the script it would run.

Heroku's default web process is `npm start`, and Procfiles say `web: npm start`
or `web: yarn serve`. The image holds node and node_modules, not npm, yarn or
pnpm (they are build tools; a package manager as PID 1 also passes SIGTERM on
badly), so such a command is replaced, before the launch check, by the package
script it names, as the package manager would have run it:

    npm start | npm run-script start | yarn start | pnpm start    scripts.start
    npm run X [-- ARGS] | yarn [run] X [ARGS] | pnpm [run] X [ARGS]   scripts.X ARGS
    npm test                                                       scripts.test

- `start` with no scripts.start is `node server.js` when server.js exists (npm's
  and pnpm's documented default).
- `preX` runs first, as npm and yarn v1 do (`pre && exec X`, so X stays PID 1).
  yarn 2+ never runs pre/post hooks of user scripts, and pnpm 6+ only with
  `enable-pre-post-scripts=true` (.npmrc) / `enablePrePostScripts: true`
  (pnpm-workspace.yaml); both are honoured. `postX` cannot run: the app is
  exec'd and npm would run it only once the app has exited; the build log says so.
- A script that itself says `npm run Y` is translated in turn.
- What npm adds around a script and the image does not: node_modules/.bin on
  PATH is there (the launch env has it); the `npm_package_*` /
  `npm_lifecycle_event` variables are not.
- Anything else (`npx tool`, `yarn dlx`, unknown flags) is left as written; the
  launch check then fails the build naming the missing executable.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from builder.errors import BuildError
from detectors._files import read_json_object
from detectors._jsworkspace import located_call, located_problem, member_dir, simple_words

RUNNERS = ("npm", "yarn", "pnpm")
_CONTROL = re.compile(r"&&|\|\||[;&|\n`]|\$\(|\(|\)")
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_WORD = re.compile(r"""(?:[^\s'"\\]|\\.|'[^']*'|"(?:[^"\\]|\\.)*")+""", re.DOTALL)
_QUIET = frozenset({"-s", "--silent", "-q", "--quiet", "--if-present"})
_NPM_SHORTHANDS = frozenset({"start", "test", "t"})
# pnpm and yarn commands that are never a script name (`yarn add` is not scripts.add).
_BUILTINS = frozenset({
    "add", "audit", "bin", "cache", "config", "create", "dlx", "exec", "help", "import", "info", "init",
    "install", "i", "link", "list", "ls", "outdated", "pack", "publish", "remove", "rm", "unlink", "up",
    "update", "upgrade", "why", "workspace", "workspaces", "set", "version", "node", "patch", "rebuild",
})
_MAX_DEPTH = 8


@dataclass(frozen=True)
class Translated:
    """A start command after translation, and what the build log should say about it."""

    command: str
    notes: tuple[str, ...] = field(default=())


def translate(command: str, package: Mapping[str, Any], *, manager: str, workspace: Path,
              process: str = "web") -> Translated:
    """`command` with a leading `npm start` / `yarn X` / `pnpm run X` replaced by the script it runs.

    `manager` is the app's package manager (npm, pnpm, yarn, yarn-berry): it
    decides whether `yarn` means v1 or 2+. Raises BuildError when the command
    names a script package.json does not have.
    """
    notes: list[str] = []
    text = _translate(command.strip(), package, manager, workspace, process, notes, 0)
    return Translated(text, tuple(notes))


def _translate(command: str, package: Mapping[str, Any], manager: str, workspace: Path, process: str,
               notes: list[str], depth: int) -> str:
    located = located_call(command)
    if located is not None:  # `npm run start --workspace=apps/api`: that member's script, run in its directory
        inner, where = located
        rel = member_dir(workspace, where)
        member = read_json_object(workspace / rel / "package.json") if rel is not None else None
        if rel is None or member is None:
            raise BuildError(*(located_problem(workspace, command, process) or (f"no package {where}", None)))
        if depth >= _MAX_DEPTH:
            raise BuildError(f"process '{process}': '{command}' calls package scripts {_MAX_DEPTH} levels deep",
                             "does a script call itself? start the app with node directly")
        notes.append(f"process '{process}': '{command}' runs in {rel}")
        there = _translate(inner, member, manager, workspace / rel, process, notes, depth + 1)
        return f"cd {shlex.quote(rel)} && {_exec_form(there)}"
    call = _script_call(command)
    if call is None:
        return command
    prefix, runner, name, args = call
    if depth >= _MAX_DEPTH:
        raise BuildError(f"process '{process}': '{command}' calls package scripts {_MAX_DEPTH} levels deep",
                         "does a script call itself? start the app with node directly")
    scripts = _scripts(package)
    main = scripts.get(name)
    if main is None and name == "start" and runner in ("npm", "pnpm") and (workspace / "server.js").is_file():
        main = "node server.js"  # npm's and pnpm's default start script
    if main is None:
        raise BuildError(f"process '{process}' runs '{command}', but package.json has no scripts.{name}",
                         f"add scripts.{name}, or start the app with node directly (e.g. 'web: node server.js')")
    if not main.strip():
        raise BuildError(f"process '{process}' runs '{command}', but scripts.{name} is empty",
                         f"fill in scripts.{name}, or start the app with node directly")
    hooks = _runs_hooks(runner, manager, workspace)
    pre = scripts.get(f"pre{name}", "").strip() if hooks else ""
    post = scripts.get(f"post{name}", "").strip() if hooks else ""
    what = f"'{command}' runs scripts.{name}" + (f" after scripts.pre{name}" if pre else "")
    notes.append(f"process '{process}': {what}, without {runner} in the image")
    if post:
        notes.append(f"process '{process}': scripts.post{name} does not run at launch ({runner} would run it only "
                     "after the app exits; the app runs as PID 1)")
    main = main.strip() + (f" {shlex.join(args)}" if args else "")  # npm appends arguments to the script text
    main = _translate(main, package, manager, workspace, process, notes, depth + 1)
    if pre:
        pre = _translate(pre, package, manager, workspace, process, notes, depth + 1)
        main = f"{pre} && {_exec_form(main)}"
    return _with_prefix(prefix, main, bool(pre) or bool(_CONTROL.search(main)))


def _with_prefix(prefix: str, main: str, compound: bool) -> str:
    """Put leading variable assignments back: before the command, or exported for a compound script."""
    if not prefix:
        return main
    return f"export {prefix} && {main}" if compound else f"{prefix} {main}"


def _script_call(command: str) -> tuple[str, str, str, list[str]] | None:
    """(assignments, runner, script name, extra args) when `command` is one package-script call, else None."""
    words = simple_words(command)
    if words is None:
        return None
    assignments = []
    while words and _ASSIGNMENT.match(words[0]):
        assignments.append(words.pop(0))
    if not words or words[0] not in RUNNERS:
        return None
    runner, rest = words[0], words[1:]
    while rest and rest[0] in _QUIET:
        rest.pop(0)
    if not rest:
        return None
    verb = rest.pop(0)
    if verb in ("run", "run-script", "rum", "urn"):
        while rest and rest[0] in _QUIET:
            rest.pop(0)
        if not rest or rest[0].startswith("-"):
            return None
        name = rest.pop(0)
    elif runner == "npm":
        if verb not in _NPM_SHORTHANDS:
            return None
        name = "test" if verb == "t" else verb
    elif verb.startswith("-") or verb in _BUILTINS:
        return None
    else:
        name = verb  # `yarn build`, `pnpm serve`: a script name used as a command
    if rest and rest[0] == "--":
        rest = rest[1:]
    elif runner == "npm" and rest:
        return None  # npm takes script arguments only after `--`; anything else is an npm option
    return shlex.join(assignments) if assignments else "", runner, name, rest


def _runs_hooks(runner: str, manager: str, workspace: Path) -> bool:
    """Does `runner` run preX/postX around scripts.X here?"""
    if runner == "npm":
        return True
    if runner == "yarn":
        return manager != "yarn-berry"
    return _pnpm_pre_post(workspace)


def _pnpm_pre_post(workspace: Path) -> bool:
    """pnpm's enable-pre-post-scripts (default false since pnpm 6), from .npmrc or pnpm-workspace.yaml."""
    for name, pattern in ((".npmrc", r"^\s*enable-pre-post-scripts\s*=\s*true\s*$"),
                          ("pnpm-workspace.yaml", r"^\s*enablePrePostScripts\s*:\s*true\s*$")):
        try:
            text = (workspace / name).read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if re.search(pattern, text, re.MULTILINE):
            return True
    return False


def _exec_form(script: str) -> str:
    """`script` as the last command of a compound script: exec'd (the app is PID 1) when it is one command."""
    if _CONTROL.search(script):
        return "{ " + script + "\n}"
    try:
        words = shlex.split(script)
    except ValueError:
        return "{ " + script + "\n}"
    count = 0
    while count < len(words) and _ASSIGNMENT.match(words[count]):
        count += 1
    if count == len(words):
        return script
    if count == 0:
        return f'exec {script} "$@"'
    words_at = list(_WORD.finditer(script))
    return f'{script[:words_at[count].start()]}exec {script[words_at[count].start():]} "$@"'


def _scripts(package: Mapping[str, Any]) -> dict[str, str]:
    scripts = package.get("scripts")
    if not isinstance(scripts, dict):
        return {}
    return {k: v for k, v in scripts.items() if isinstance(k, str) and isinstance(v, str)}


def launch_commands(procfile: Mapping[str, str], start: str, start_command: str, package: Mapping[str, Any] | None,
                    *, manager: str, workspace: Path) -> tuple[dict[str, str], str, list[str]]:
    """The Procfile and the detected start command with package-manager calls translated.

    `start` / `start_command` are the detector's (where the start command came
    from, and its text). When it came from scripts.start, it is run the way
    `npm start` would (with prestart). Returns (procfile, start command, notes).
    """
    package = package or {}
    runner = "yarn" if manager.startswith("yarn") else manager
    notes: list[str] = []
    translated: dict[str, str] = {}
    for kind, text in procfile.items():
        result = translate(text, package, manager=manager, workspace=workspace, process=kind)
        translated[kind] = result.command
        notes += result.notes
    if start == "scripts.start" and "web" not in procfile:
        result = translate(f"{runner} start", package, manager=manager, workspace=workspace)
        start_command = result.command
        notes += result.notes[1:]  # the first says scripts.start runs, which `dockless detect` already did
    elif start_command and "web" not in procfile:
        result = translate(start_command, package, manager=manager, workspace=workspace)
        start_command = result.command
        notes += result.notes
    return translated, start_command, notes
