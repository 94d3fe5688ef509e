"""The Node.js detector: is this a Node app, and which Node, package manager and start command does it ask for?

It follows the conventions users already rely on with Paketo, Heroku and Google
buildpacks, so an app that builds there builds here unchanged:

    Node version     BP_NODE_VERSION (build env) > package.json engines.node > .nvmrc > .node-version
    package manager  package.json packageManager > pnpm-lock.yaml > yarn.lock > package-lock.json
                     / npm-shrinkwrap.json > npm
    start command    Procfile web > scripts.start > server.js > index.js > package.json main

It provides `node` and requires it itself; everything found goes into the
metadata of that requirement (all strings), so the buildpack acts on exactly
what `dockless detect` showed (a later buildpack of the group, e.g. Ruby for
asset compilation, may require `node` too):

    node                     the version spec as written (absent: the newest LTS)
    node_source              where it came from ("package.json engines.node", ".nvmrc", …)
    package_manager          npm | pnpm | yarn (v1, "classic") | yarn-berry (v2+)
    package_manager_version  pinned by packageManager, else ""
    package_manager_hash     packageManager's corepack hash ("sha512.<hex>"), else ""
    package_manager_range    engines.npm / engines.pnpm / engines.yarn when packageManager pins nothing
    package_manager_source   "package.json packageManager", the lockfile name, or "default"
    lockfile                 the lockfile name, or ""
    build_script             "true" when a build step runs after the install (build_scripts)
    build_scripts            the scripts that step runs, comma-separated (see BUILD STEP)
    prebuild_scripts         "heroku-prebuild" when it exists: runs before the install
    cleanup_scripts          "heroku-cleanup" when it exists: runs after the build and the prune
    start / start_command    where the start command came from, and its text ("" when none)

BUILD STEP, so that apps built on Heroku or Google Cloud build here unchanged:
GOOGLE_NODE_RUN_SCRIPTS in the build env (comma-separated; empty: none) >
scripts.heroku-postbuild (Heroku runs it *instead of* build) > scripts.gcp-build
(Google's buildpacks likewise; `"gcp-build": ""` turns the build off there) >
scripts.build. Heroku's own hooks around it: heroku-prebuild before the install,
heroku-cleanup after the build and the devDependencies prune. (An app with both
heroku-postbuild and gcp-build targets both platforms; Heroku's hook wins here
because it is the older and more common convention.)
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from builder.errors import UsageError
from builder.lifecycle.contract import Detection, Require

from ._files import first_value_line, read_json_object, read_procfile
from ._jsworkspace import located_problem, member_detection

# Lockfiles in the order they are consulted when packageManager does not decide.
LOCKFILES = (
    ("pnpm-lock.yaml", "pnpm"),
    ("yarn.lock", "yarn"),
    ("package-lock.json", "npm"),
    ("npm-shrinkwrap.json", "npm"),
)
MANAGERS = ("npm", "pnpm", "yarn")
NO_START = "no start command found"
BUILD_ONLY = "build-only: no start command of its own, the static buildpack serves what the build writes"
_HASH = re.compile(r"^(sha1|sha224|sha256|sha384|sha512)\.[0-9a-fA-F]+$")


@dataclass(frozen=True)
class NodeDetector:
    """Passes on package.json, or on a dependency-free server.js / index.js app."""

    id: str = "nodejs"
    consult_static: bool = True  # False inside the static detector, which consults this one

    def detect(self, workspace: Path, env: Mapping[str, str], app_dir: str = "") -> Detection:
        if app_dir:  # --subdir named a member of a JS workspace: see detectors._jsworkspace
            return self._build_only(member_detection(self._detect, workspace, env, app_dir), workspace, env, app_dir)
        detection = self._build_only(self._detect(workspace, env), workspace, env, app_dir)
        start = detection.metadata("node").get("start_command", "")
        problem = located_problem(workspace, start) if detection.passed and start else None
        if problem is not None:  # `npm run start --workspace=apps/api` naming a package or script this app lacks
            line = f"{problem[0]}: {problem[1]}"
            return Detection(self.id, False, (line,), malformed=line)
        return detection

    def _build_only(self, detection: Detection, workspace: Path, env: Mapping[str, str], app_dir: str) -> Detection:
        """`detection` saying "build-only" instead of "no start command found" when the static buildpack
        serves what the build writes (the group nodejs + static)."""
        if not self.consult_static or not detection.passed or detection.metadata("node").get("start_command"):
            return detection
        from .static import StaticDetector  # static imports this module

        static = StaticDetector().detect(workspace, env, app_dir)
        if not static.passed:
            return detection
        reasons = tuple(BUILD_ONLY if r.startswith(NO_START) else r for r in detection.reasons)
        return dataclasses.replace(detection, reasons=reasons)

    def _detect(self, workspace: Path, env: Mapping[str, str]) -> Detection:
        """detect() of one directory (a member's and its workspace root's, for member_detection)."""
        package = read_json_object(workspace / "package.json")
        if package is None:
            entry = next((n for n in ("server.js", "index.js") if (workspace / n).is_file()), None)
            if entry is None:
                return Detection(self.id, False, ("no package.json, server.js or index.js at the root",))
            found = f"found {entry} and no package.json: a Node.js app with no dependencies"
        else:
            found = "found package.json"
        requires: dict[str, str] = {}
        reasons = [found]
        reasons.append(_node_version(workspace, package or {}, env, requires))
        manager = _package_manager(workspace, package or {}, requires)
        if package is not None:  # a bare server.js installs nothing: no package manager to speak of
            reasons.append(manager)
        scripts = _scripts(package or {})
        reasons += _build_steps(package or {}, scripts, env, requires)
        reasons.append(_start(workspace, package or {}, scripts, requires))
        return Detection(self.id, True, tuple(reasons), provides=("node",), requires=(Require("node", requires),))


def _scripts(package: Mapping[str, Any]) -> dict[str, str]:
    scripts = package.get("scripts")
    if not isinstance(scripts, dict):
        return {}
    return {k: v for k, v in scripts.items() if isinstance(k, str) and isinstance(v, str) and v.strip()}


def _build_steps(package: Mapping[str, Any], scripts: Mapping[str, str], env: Mapping[str, str],
                 requires: dict[str, str]) -> list[str]:
    """Record the build step and Heroku's hooks around it (see BUILD STEP above); return the sentences."""
    declared = package.get("scripts") if isinstance(package.get("scripts"), dict) else {}
    assert isinstance(declared, dict)
    reasons = []
    names: list[str] = []
    why = extra = ""
    if "GOOGLE_NODE_RUN_SCRIPTS" in env:
        names = [n.strip() for n in env["GOOGLE_NODE_RUN_SCRIPTS"].split(",") if n.strip()]
        why, extra = "GOOGLE_NODE_RUN_SCRIPTS", " (build env)"
    elif isinstance(declared.get("heroku-postbuild"), str):
        names, why, extra = ["heroku-postbuild"], "scripts.heroku-postbuild", ", instead of scripts.build (Heroku's rule)"
    elif isinstance(declared.get("gcp-build"), str):
        names, why, extra = ["gcp-build"], "scripts.gcp-build", ", instead of scripts.build (Google's rule)"
    elif "build" in scripts:
        names, why = ["build"], "scripts.build"
    missing = [n for n in names if n not in scripts]
    if missing and why == "GOOGLE_NODE_RUN_SCRIPTS":
        raise UsageError(f"GOOGLE_NODE_RUN_SCRIPTS names scripts package.json does not have: {', '.join(missing)}",
                         "fix the list (comma-separated script names), or set it empty to run none")
    names = [n for n in names if n in scripts]
    requires["build_script"] = "true" if names else "false"
    requires["build_scripts"] = ",".join(names)
    requires["prebuild_scripts"] = "heroku-prebuild" if "heroku-prebuild" in scripts else ""
    if requires["prebuild_scripts"]:
        reasons.append(f"scripts.heroku-prebuild runs before the install (Heroku's hook): {scripts['heroku-prebuild']}")
    if names:
        reasons.append(f"{why} runs after the install{extra}: " + "; ".join(scripts[n] for n in names))
    elif why:
        reasons.append(f"no build step: {why} is empty{extra}")
    requires["cleanup_scripts"] = "heroku-cleanup" if "heroku-cleanup" in scripts else ""
    if requires["cleanup_scripts"]:
        reasons.append("scripts.heroku-cleanup runs after the build and the prune (Heroku's hook): "
                       f"{scripts['heroku-cleanup']}")
    return reasons


def _node_version(workspace: Path, package: Mapping[str, Any], env: Mapping[str, str],
                  requires: dict[str, str]) -> str:
    """Record the Node version spec and its source; return the sentence saying so."""
    engines = package.get("engines")
    candidates = (
        ("BP_NODE_VERSION", env.get("BP_NODE_VERSION", "").strip()),
        ("package.json engines.node", str(engines.get("node", "")).strip() if isinstance(engines, dict) else ""),
        (".nvmrc", first_value_line(workspace / ".nvmrc") or ""),
        (".node-version", first_value_line(workspace / ".node-version") or ""),
    )
    for source, spec in candidates:
        if spec:
            requires["node"] = spec
            requires["node_source"] = source
            return f"Node.js '{spec}' from {source}"
    requires["node_source"] = "default"
    return "no Node.js version asked for (engines.node, .nvmrc, .node-version): the newest LTS"


def _package_manager(workspace: Path, package: Mapping[str, Any], requires: dict[str, str]) -> str:
    """Record the package manager, its pinned version and the lockfile; return the sentence saying so."""
    lockfile = next(((name, manager) for name, manager in LOCKFILES if (workspace / name).is_file()), None)
    field = package.get("packageManager")
    version = digest = ""
    if isinstance(field, str) and field.strip():
        name, _, version = field.strip().partition("@")
        version, _, digest = version.partition("+")  # "pnpm@9.1.0+sha512.…": corepack's hash, verified in build
        if name not in MANAGERS or not version:
            raise UsageError(f"package.json packageManager '{field}' is not one of npm@X, pnpm@X, yarn@X",
                             "use e.g. \"packageManager\": \"pnpm@9.1.0\", or remove the field to use the lockfile")
        if digest and not _HASH.match(digest):
            raise UsageError(f"package.json packageManager '{field}' has a hash dockless cannot read",
                             "corepack's format is name@version+sha512.<hex> (or sha256, sha224, sha1)")
        source = "package.json packageManager"
        # The pinned manager's own lockfile; a stale one of another manager is not installed from.
        lockfile = next(((n, m) for n, m in LOCKFILES if m == name and (workspace / n).is_file()), None)
    elif lockfile is not None:
        name, source = lockfile[1], lockfile[0]
    else:
        name, source = "npm", "default"
    if name == "yarn":
        name = "yarn-berry" if _is_berry(workspace, version) else "yarn"
    requires["package_manager"] = name
    requires["package_manager_version"] = version
    requires["package_manager_hash"] = digest
    requires["package_manager_source"] = source
    requires["lockfile"] = lockfile[0] if lockfile else ""
    engines = package.get("engines") if isinstance(package.get("engines"), dict) else {}
    assert isinstance(engines, dict)
    tool = "yarn" if name.startswith("yarn") else name
    wanted = engines.get(tool)
    requires["package_manager_range"] = wanted.strip() if not version and isinstance(wanted, str) else ""
    pinned = f" {version}" if version else ""
    if requires["package_manager_range"]:
        pinned = f" '{requires['package_manager_range']}' (package.json engines.{tool})"
    elif name == "npm" and not version:
        pinned = " (the one bundled with the chosen Node.js)"
    via = f"from {source}" if source != "default" else "(no packageManager field and no lockfile)"
    if digest:
        via += f" (its {digest.split('.', 1)[0]} hash is checked)"
    locked = f", installing from {lockfile[0]}" if lockfile else ", no lockfile: a fresh install"
    return f"package manager {name}{pinned} {via}{locked}"


def _is_berry(workspace: Path, version: str) -> bool:
    """Yarn 2+ ("berry") pins a version >= 2, or writes a lockfile with a `__metadata:` block."""
    if version:
        return not version.startswith("1.")
    try:
        with (workspace / "yarn.lock").open(encoding="utf-8", errors="replace") as f:
            head = f.read(4096)
    except FileNotFoundError:
        return False
    return "__metadata:" in head


def _start(workspace: Path, package: Mapping[str, Any], scripts: Mapping[str, str],
           requires: dict[str, str]) -> str:
    """Record where the start command comes from and its text; return the sentence saying so."""
    procfile = read_procfile(workspace)
    main = package.get("main")
    choices: list[tuple[str, str]] = []
    if "web" in procfile:
        choices.append(("Procfile web", procfile["web"]))
    if "start" in scripts:
        choices.append(("scripts.start", scripts["start"]))
    for entry in ("server.js", "index.js"):
        if (workspace / entry).is_file():
            choices.append((entry, f"node {entry}"))
    if isinstance(main, str) and main.strip() and _exists(workspace, main.strip()):
        choices.append((f"package.json main ({main.strip()})", shlex.join(["node", main.strip()])))
    if not choices:
        requires["start"] = requires["start_command"] = ""
        return f"{NO_START}: add a Procfile 'web:' line, a scripts.start, or a server.js"
    requires["start"], requires["start_command"] = choices[0]
    runner = choices[0][1].split(None, 1)[0] if choices[0][1].split() else ""
    if runner in MANAGERS:  # translated by the buildpack (buildpacks/nodejs/scripts.py)
        return (f"starts with '{choices[0][1]}' from {choices[0][0]}: the package script it names runs "
                f"without {runner}, which does not ship")
    return f"starts with '{choices[0][1]}' from {choices[0][0]}"


def _exists(workspace: Path, main: str) -> bool:
    """`main` as Node resolves it: the file itself, with `.js`, or a directory's index.js."""
    path = workspace / main
    return path.is_file() or path.with_name(path.name + ".js").is_file() or (path / "index.js").is_file()
