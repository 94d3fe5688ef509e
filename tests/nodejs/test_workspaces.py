"""A workspace member: detected from the member and the root, installed with the manager's workspace filter.

Runs on the real example (examples/nodejs-workspace) as the SOURCE stage lays it
out, through the production detector, registry wrapper and command tables; the
install itself runs in tests/e2e/test_workspaces.py.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from buildpacks.nodejs import workspaces
from buildpacks.nodejs.managers import commands
from builder.errors import BuildError
from builder.lifecycle.contract import WORKSPACE, DetectContext, Process
from builder.lifecycle.registry import builtin
from builder.source import SourceSpec, fetch_source
from detectors.nodejs import NodeDetector

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "nodejs-workspace"


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    """The example as `--subdir app/api` lays it out: the workspace root, app_dir app/api."""
    workspace = fetch_source(SourceSpec(str(EXAMPLE), subdir="app/api"), tmp_path / "ws")
    assert workspace.app_dir == "app/api"
    return workspace.path


def test_detection_takes_the_app_from_the_member_and_the_install_from_the_root(ws: Path) -> None:
    detection = builtin("nodejs", {}).detect(DetectContext(ws, {}, app_dir="app/api"))  # type: ignore[union-attr]
    assert detection.passed
    meta = detection.metadata("node")
    assert meta["package_manager"] == "npm" and meta["lockfile"] == "package-lock.json"
    assert meta["package_manager_source"] == "package-lock.json"
    assert meta["start_command"] == "node server.js" and meta["start"] == "scripts.start"
    assert meta["app_dir"] == "app/api"
    assert detection.reasons[0].startswith("app/api is a member of a JavaScript workspace")
    installer = [r for r in detection.reasons if r.startswith("package manager npm")]
    assert len(installer) == 1 and installer[0].endswith("installing from package-lock.json (at the workspace root)")
    # Without app_dir the member alone has no lockfile: what the bug report saw.
    alone = NodeDetector().detect(ws / "app" / "api", {})
    assert alone.metadata("node")["lockfile"] == ""


def test_node_version_falls_back_to_the_workspace_root(ws: Path) -> None:
    (ws / ".nvmrc").write_text("22\n")
    meta = NodeDetector().detect(ws, {}, app_dir="app/api").metadata("node")
    assert (meta["node"], meta["node_source"]) == ("22", "workspace root .nvmrc")
    package = json.loads((ws / "app/api/package.json").read_text())
    (ws / "app/api/package.json").write_text(json.dumps({**package, "engines": {"node": "20"}}))
    meta = NodeDetector().detect(ws, {}, app_dir="app/api").metadata("node")
    assert (meta["node"], meta["node_source"]) == ("20", "package.json engines.node")


def test_member_needs_its_siblings_and_not_the_other_apps(ws: Path) -> None:
    member = workspaces.find_member(ws, "app/api", "npm")
    assert member == workspaces.Member("app/api", "@demo/api", ("packages/shared",), ("app/web",))
    assert workspaces.app_excludes(member) == {"app/web"}
    assert workspaces.find_member(ws, "", "npm") is None


def test_npm_installs_builds_and_prunes_only_the_member(ws: Path) -> None:
    member = workspaces.find_member(ws, "app/api", "npm")
    assert member is not None
    base = commands("npm", "10.9.2", lockfile=True, cache="/c", headers="/h", registry=None)
    scoped = workspaces.scoped(base, member, "10.9.2")
    only = ("--workspace", "app/api", "--include-workspace-root")
    assert scoped.install == ("npm", "ci", "--include=dev", *only)
    assert scoped.prune == ("npm", "prune", "--omit=dev", *only)
    assert scoped.build == ("npm", "--workspace", "app/api", "run", "build")
    assert scoped.run_script("heroku-postbuild") == ("npm", "--workspace", "app/api", "run", "heroku-postbuild")
    old = commands("npm", "7.24.2", lockfile=True, cache="/c", headers="/h", registry=None)
    with pytest.raises(BuildError, match=r"npm 7\.24\.2 cannot install one member \(app/api\) of a workspace"):
        workspaces.scoped(old, member, "7.24.2")


def test_yarn_runs_the_members_build_by_name(ws: Path) -> None:
    member = workspaces.find_member(ws, "app/api", "yarn-berry")
    assert member is not None
    base = commands("yarn-berry", "4.5.0", lockfile=True, cache="/c", headers="/h", registry=None)
    scoped = workspaces.scoped(base, member, "4.5.0")
    assert scoped.build == ("yarn", "workspace", "@demo/api", "run", "build")
    assert scoped.run_script("gcp-build") == ("yarn", "workspace", "@demo/api", "run", "gcp-build")
    assert scoped.install == base.install and scoped.prune == base.prune
    assert "installs every member's dependencies" in workspaces.install_note(member, "yarn-berry")


def test_pnpm_member_is_refused_in_one_line(ws: Path) -> None:
    with pytest.raises(BuildError) as err:
        workspaces.find_member(ws, "app/api", "pnpm")
    assert err.value.message.startswith("app/api is a member of a pnpm workspace")
    assert "\n" not in err.value.message and "npm or yarn workspaces" in err.value.hint
    assert "Procfile" not in err.value.hint  # building the root instead has the same gap (trial bug)


def test_a_pnpm_workspace_root_whose_members_have_dependencies_is_refused(ws: Path) -> None:
    """The image would lack apps' own node_modules and fail at the first require."""
    with pytest.raises(BuildError, match=r"this pnpm workspace's members have dependencies of their own \(app/"):
        workspaces.find_member(ws, "", "pnpm")
    assert workspaces.find_member(ws, "", "npm") is None


def test_processes_start_in_the_member(ws: Path) -> None:
    member = workspaces.find_member(ws, "app/api", "npm")
    procs = workspaces.launch_processes([Process("web", ("node", "server.js"), default=True)], member)
    assert procs == [Process("web", ("node", "server.js"), default=True, working_dir=f"{WORKSPACE}/app/api")]
    assert workspaces.launch_processes(procs, None) == procs


def test_a_member_nested_in_a_member_keeps_its_parent(tmp_path: Path) -> None:
    root = Path(shutil.copytree(EXAMPLE, tmp_path / "src"))
    (root / "package.json").write_text(json.dumps({"private": True, "workspaces": ["app/*", "packages/**"]}))
    (root / "packages/shared/plugins/x").mkdir(parents=True)
    (root / "packages/shared/plugins/x/package.json").write_text(json.dumps({"name": "@demo/x"}))
    member = workspaces.find_member(root, "app/api", "npm")
    assert member is not None and "packages/shared" in member.needed
    assert member.unneeded == ("app/web", "packages/shared/plugins/x")


def test_a_member_with_its_own_node_modules_is_refused(ws: Path) -> None:
    """Two members needing different versions put one inside the member; it would be lost from the cache."""
    lock = json.loads((ws / "package-lock.json").read_text())
    lock["packages"]["packages/shared/node_modules/ms"] = {"version": "2.0.0"}
    (ws / "package-lock.json").write_text(json.dumps(lock))
    with pytest.raises(BuildError) as err:
        workspaces.find_member(ws, "app/api", "npm")
    assert err.value.message.startswith("packages/shared needs its own copy of ms (package-lock.json installs it")
    lock["packages"]["app/web/node_modules/ms"] = lock["packages"].pop("packages/shared/node_modules/ms")
    (ws / "package-lock.json").write_text(json.dumps(lock))
    assert workspaces.find_member(ws, "app/api", "npm") is not None  # app/web is not shipped: no matter
