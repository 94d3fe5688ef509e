"""Package-manager command tables: the flags that make installs reproducible and keep devDependencies out."""

from __future__ import annotations

from pathlib import Path

import pytest

from buildpacks.nodejs.managers import commands, tool_preference


def test_npm() -> None:
    locked = commands("npm", "11.6.0", lockfile=True, cache="/c", headers="/h", registry=None)
    assert locked.install == ("npm", "ci", "--include=dev")
    assert locked.prune == ("npm", "prune", "--omit=dev")
    assert locked.build == ("npm", "run", "build")
    assert locked.env["npm_config_cache"] == "/c/npm"
    # npm_config_nodedir is the only spelling that reaches a dependency's `node-gyp rebuild` (see nodedir_env)
    assert locked.env["npm_package_config_node_gyp_nodedir"] == "/h" and locked.env["npm_config_nodedir"] == "/h"
    # with the build's preload script npm sees no npm_config_nodedir (npm 11 warns about it): node-gyp gets it
    preloaded = commands("npm", "11.6.0", lockfile=True, cache="/c", headers="/h", registry=None, node_gyp="/p.js")
    assert "npm_config_nodedir" not in preloaded.env and preloaded.env["NODE_OPTIONS"] == "--require /p.js"
    assert preloaded.env["DOCKLESS_NODE_GYP_NODEDIR"] == "/h"
    fresh = commands("npm", "10.9.2", lockfile=False, cache="/c", headers="/h", registry=None)
    assert fresh.install == ("npm", "install", "--include=dev")
    assert fresh.env["npm_config_nodedir"] == "/h"


@pytest.mark.parametrize(("manager", "version", "install", "prune"), [
    ("pnpm", "9.15.9", ("pnpm", "install", "--frozen-lockfile"), ("pnpm", "prune", "--prod")),
    ("yarn", "1.22.22", ("yarn", "install", "--frozen-lockfile", "--non-interactive", "--production=false"),
     ("yarn", "install", "--frozen-lockfile", "--production=true", "--ignore-scripts", "--prefer-offline",
      "--non-interactive")),
    ("yarn-berry", "4.5.0", ("yarn", "install", "--immutable"), ("yarn", "workspaces", "focus", "--all", "--production")),
    ("yarn-berry", "3.8.0", ("yarn", "install", "--immutable"), None),
])
def test_locked_installs(manager: str, version: str, install: tuple[str, ...], prune: tuple[str, ...] | None) -> None:
    cmds = commands(manager, version, lockfile=True, cache="/c", headers="/h", registry="https://npm.corp")
    assert cmds.install == install and cmds.prune == prune
    assert cmds.env["npm_config_nodedir"] == "/h"


def test_berry_uses_node_modules_and_the_given_registry() -> None:
    env = commands("yarn-berry", "4.5.0", lockfile=False, cache="/c", headers="/h", registry="https://npm.corp").env
    assert env["YARN_NODE_LINKER"] == "node-modules"
    assert env["YARN_NPM_REGISTRY_SERVER"] == "https://npm.corp"
    assert env["YARN_GLOBAL_FOLDER"] == "/c/yarn-berry"


@pytest.mark.parametrize(("lockfile", "wanted"), [
    ("lockfileVersion: '9.0'\n", "^10 || ^9"), ("lockfileVersion: '6.0'\n", "^8"),
    ("lockfileVersion: 5.4\n", "^7"), ("lockfileVersion: 5.3\n", "^6"), ("lockfileVersion: '42.0'\n", ""),
])
def test_pnpm_version_follows_the_lockfile(tmp_path: Path, lockfile: str, wanted: str) -> None:
    (tmp_path / "pnpm-lock.yaml").write_text(lockfile)
    prefer, usable = tool_preference("pnpm", tmp_path)
    assert prefer == wanted
    assert usable({"bin": {"pnpm": "bin/pnpm.cjs"}}) and not usable({"bin": {"pnpm": "pnpm"}})
