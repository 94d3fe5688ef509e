"""What each package manager runs to install, build and prune, and which npm package provides it.

    manager     tool package          install (lockfile / none)                     prune devDependencies
    npm         npm                   npm ci / npm install                          npm prune --omit=dev
    pnpm        pnpm                  pnpm install --frozen-lockfile / --no-frozen  pnpm prune --prod
    yarn (v1)   yarn                  yarn install --frozen-lockfile / plain        yarn install --production --ignore-scripts
    yarn-berry  @yarnpkg/cli-dist     yarn install --immutable / --no-immutable     yarn workspaces focus --all --production (yarn 4+)

Installs always include devDependencies (the build script usually needs them),
whatever NODE_ENV the build env sets; pruning removes them afterwards. Yarn 2+
is told to use the node-modules linker, so the result is a plain node_modules
directory like the others'. Yarn v1 prunes the way Heroku does, by reinstalling
in production mode with scripts off, so a postinstall that needs a devDependency
does not fail the second time round.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Manager name -> (npm package of the tool, cache layer name, command).
TOOLS = {
    "npm": ("npm", "npm", "npm"),
    "pnpm": ("pnpm", "pnpm", "pnpm"),
    "yarn": ("yarn", "yarn", "yarn"),
    "yarn-berry": ("@yarnpkg/cli-dist", "yarn-berry", "yarn"),
}
# pnpm-lock.yaml lockfileVersion -> the pnpm majors that read it with --frozen-lockfile.
_PNPM_FOR_LOCKFILE = (("9.", "^10 || ^9"), ("6.", "^8"), ("5.4", "^7"), ("5.3", "^6"))


@dataclass(frozen=True)
class Commands:
    """The argv lists one manager at one version runs, and the env it needs.

    `prune` is None when this manager version has no way to drop devDependencies.
    """

    manager: str
    install: tuple[str, ...]
    build: tuple[str, ...]
    prune: tuple[str, ...] | None
    env: Mapping[str, str]

    def run_script(self, name: str) -> tuple[str, ...]:
        """The argv that runs package script `name` (`npm run heroku-postbuild`)."""
        return (*self.build[:-1], name)


def tool_preference(manager: str, workspace: Path) -> tuple[str, Callable[[Mapping[str, Any]], bool]]:
    """The version range to prefer and the test a release must pass, when packageManager pins nothing."""
    if manager == "pnpm":
        return _pnpm_range(workspace), _pnpm_runs_on_node
    if manager == "yarn":
        return "^1", lambda manifest: True
    return "", lambda manifest: True


def commands(manager: str, tool_version: str, *, lockfile: bool, cache: str, headers: str,
             registry: str | None, node_gyp: str | None = None) -> Commands:
    """The commands for `manager` at `tool_version`.

    `cache` is its download cache, `headers` the Node.js headers directory and
    `node_gyp` (npm) the script that points node-gyp at them (see nodedir_env),
    all as paths inside the executor.
    """
    major = int(tool_version.split(".", 1)[0])
    cmds = _commands(manager, major, lockfile=lockfile, cache=cache, registry=registry)
    return Commands(cmds.manager, cmds.install, cmds.build, cmds.prune,
                    {**cmds.env, **nodedir_env(manager, major, headers, node_gyp)})


NODEDIR_VAR = "DOCKLESS_NODE_GYP_NODEDIR"  # read by build.NODE_GYP_PRELOAD, in node-gyp's process only


def nodedir_env(manager: str, major: int, headers: str, node_gyp: str | None = None) -> dict[str, str]:
    """Point node-gyp at the runtime's headers, so it never downloads them from nodejs.org.

    node-gyp (10-12) reads its options from `npm_config_<key>` and
    `npm_package_config_node_gyp_<key>` env variables. npm sets the
    `npm_package_config_*` variables of a dependency's install script from *that*
    package's package.json, so only `npm_config_nodedir` reaches `node-gyp
    rebuild` in node_modules/node-expat (seen with npm 11.4.2: without it node-gyp
    fetches the headers from nodejs.org). But npm 11 warns `Unknown env config
    "nodedir"` about an npm_config_* it does not define, on every run. npm's own
    `node-gyp` config (npm_config_node_gyp) is no way round: arborist does not
    pass it to dependencies' scripts, which run npm's bundled node-gyp.

    So with npm and a `node_gyp` preload script, npm's environment has no
    npm_config_nodedir: NODE_OPTIONS preloads a script into every node process
    of the build that, in node-gyp's process alone (its main script is
    node-gyp.js), sets npm_config_nodedir from DOCKLESS_NODE_GYP_NODEDIR (see
    build.NODE_GYP_PRELOAD). yarn and pnpm do not warn: they keep
    npm_config_nodedir.
    """
    del major
    if manager == "npm" and node_gyp:
        return {"npm_package_config_node_gyp_nodedir": headers, NODEDIR_VAR: headers,
                "NODE_OPTIONS": f"--require {node_gyp}"}
    return {"npm_package_config_node_gyp_nodedir": headers, "npm_config_nodedir": headers}


def _commands(manager: str, major: int, *, lockfile: bool, cache: str, registry: str | None) -> Commands:
    install: tuple[str, ...]
    prune: tuple[str, ...] | None
    if manager == "npm":
        include = ("--include=dev",) if major >= 7 else ()
        install = ("npm", "ci", *include) if lockfile else ("npm", "install", *include)
        prune = ("npm", "prune", "--omit=dev") if major >= 7 else ("npm", "prune", "--production")
        env = {"npm_config_cache": f"{cache}/npm", "npm_config_update_notifier": "false",
               "npm_config_fund": "false", "npm_config_audit": "false"}
        return Commands(manager, install, ("npm", "run", "build"), prune, env)
    if manager == "pnpm":
        install = ("pnpm", "install", "--frozen-lockfile" if lockfile else "--no-frozen-lockfile")
        env = {}
        for prefix in ("npm_config_", "pnpm_config_"):
            env[f"{prefix}store_dir"] = f"{cache}/pnpm-store"
            env[f"{prefix}cache_dir"] = f"{cache}/pnpm-cache"
            env[f"{prefix}update_notifier"] = "false"
        return Commands(manager, install, ("pnpm", "run", "build"), ("pnpm", "prune", "--prod"), env)
    if manager == "yarn":
        frozen = ("--frozen-lockfile",) if lockfile else ()
        install = ("yarn", "install", *frozen, "--non-interactive", "--production=false")
        prune = ("yarn", "install", "--frozen-lockfile", "--production=true", "--ignore-scripts",
                 "--prefer-offline", "--non-interactive")
        env = {"YARN_CACHE_FOLDER": f"{cache}/yarn", "YARN_DISABLE_SELF_UPDATE_CHECK": "true"}
        return Commands(manager, install, ("yarn", "run", "build"), prune, env)
    if manager == "yarn-berry":
        install = ("yarn", "install", "--immutable" if lockfile else "--no-immutable")
        prune = ("yarn", "workspaces", "focus", "--all", "--production") if major >= 4 else None
        env = {"YARN_NODE_LINKER": "node-modules", "YARN_GLOBAL_FOLDER": f"{cache}/yarn-berry",
               "YARN_ENABLE_GLOBAL_CACHE": "true", "YARN_ENABLE_TELEMETRY": "0",
               "YARN_ENABLE_PROGRESS_BARS": "false", "YARN_ENABLE_INLINE_BUILDS": "true"}
        if registry:
            env["YARN_NPM_REGISTRY_SERVER"] = registry
        return Commands(manager, install, ("yarn", "run", "build"), prune, env)
    raise ValueError(f"unknown package manager {manager!r}")


def _pnpm_range(workspace: Path) -> str:
    """pnpm majors that accept the lockfile as is; newer pnpm refuses old lockfiles under --frozen-lockfile."""
    try:
        with (workspace / "pnpm-lock.yaml").open(encoding="utf-8", errors="replace") as f:
            head = f.read(512)
    except FileNotFoundError:
        return ""
    match = re.search(r"^lockfileVersion:\s*['\"]?([\d.]+)", head, re.MULTILINE)
    if match:
        for prefix, wanted in _PNPM_FOR_LOCKFILE:
            if match[1].startswith(prefix):
                return wanted
    return ""


def _pnpm_runs_on_node(manifest: Mapping[str, Any]) -> bool:
    """Releases whose `pnpm` bin is JavaScript; later ones are native executables fetched at install time."""
    bins = manifest.get("bin")
    script = bins.get("pnpm", "") if isinstance(bins, dict) else ""
    return isinstance(script, str) and script.endswith((".js", ".cjs", ".mjs"))
