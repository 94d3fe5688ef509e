"""The static buildpack's build on a real workspace, with the lifecycle's own PackageRequests and layer cache.

The executor is never called (the static buildpack runs no command): a stub that fails if it is.
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from buildpacks.nodejs.build import build_only
from buildpacks.static import StaticBuildpack
from builder.errors import BuildError, UsageError
from builder.lifecycle.contract import WORKSPACE, BuildContext, BuildpackPlan, Mount, Require
from builder.lifecycle.layercache import DirLayerCache
from builder.lifecycle.packages import PackageRequests


class NoCommands:
    def run(self, argv: Sequence[str], *, what: str, cwd: str = WORKSPACE, env: Mapping[str, str] | None = None,
            mounts: Sequence[Mount] = ()) -> subprocess.CompletedProcess[str]:
        raise AssertionError(f"the static buildpack ran {argv}")


def context(tmp_path: Path, files: dict[str, str], meta: dict[str, str], *,
            packages: PackageRequests | None = None, app_dir: str = "", env: dict[str, str] | None = None,
            log: list[str] | None = None) -> BuildContext:
    workspace = tmp_path / "workspace"
    for name, text in files.items():
        (workspace / name).parent.mkdir(parents=True, exist_ok=True)
        (workspace / name).write_text(text)
    plan = BuildpackPlan((Require("static", meta),))
    lines = log if log is not None else []
    return BuildContext(workspace=workspace, layers_dir=tmp_path / "layers", plan=plan, env=env or {},
                        executor=NoCommands(), cache=DirLayerCache(tmp_path / "cache"),
                        download_dir=tmp_path / "dl", log=lines.append,
                        packages=packages if packages is not None else PackageRequests(), app_dir=app_dir)


NODE = {"mode": "node-build", "site": "", "candidates": "dist,build,out,public", "source_index": ""}


def test_a_vite_build_ships_only_dist_served_by_lighttpd(tmp_path: Path) -> None:
    packages = PackageRequests()
    ctx = context(tmp_path, {"dist/index.html": "<h1>", "dist/assets/index-BxY3kz9a.js": "", "src/main.js": "",
                             "package.json": "{}", "index.html": "<script src=/src/main.js>"}, NODE, packages=packages)
    result = StaticBuildpack().build(ctx)
    assert packages.launch == ("lighttpd", "lighttpd-mod-deflate") and packages.build == ()
    [web] = result.processes
    assert web.type == "web" and web.default and web.working_dir == "/workspace/dist"
    assert list(web.command) == ["/usr/sbin/lighttpd", "-D", "-f", "/layers/static/config/lighttpd.conf"]
    [layer] = result.layers
    assert layer.target == "/layers/static/config" and layer.launch and not layer.cache
    text = (layer.path / "lighttpd.conf").read_text()
    assert 'server.document-root = "/workspace/dist"' in text and r"/assets/index\-BxY3kz9a\.js" in text
    assert result.app_excludes == {"src", "package.json", "index.html", "project.toml"}
    assert result.launch_env == {"PORT": "8080"}


def test_a_plain_site_ships_as_it_is(tmp_path: Path) -> None:
    ctx = context(tmp_path, {"index.html": "<h1>", "404.html": "no"}, {"mode": "files", "site": "."})
    result = StaticBuildpack().build(ctx)
    assert result.app_excludes == {"project.toml"} and result.processes[0].working_dir == "/workspace"


def test_a_build_that_wrote_no_site_fails_before_asking_for_packages(tmp_path: Path) -> None:
    packages = PackageRequests()
    with pytest.raises(BuildError, match="wrote no index.html"):
        StaticBuildpack().build(context(tmp_path, {"src/main.js": ""}, NODE, packages=packages))
    assert packages.launch == ()


def test_node_is_build_only_when_a_requirer_says_launch_false() -> None:
    plan = BuildpackPlan((Require("node", {"node": "22", "build_script": "true"}),
                          Require("node", {"build": "true", "launch": "false"})))
    assert build_only(plan.metadata("node"))
    assert not build_only(BuildpackPlan((Require("node", {}), Require("node", {"build": "true"}))).metadata("node"))


def test_node_tooling_next_to_a_site_as_written_does_not_ship(tmp_path: Path) -> None:
    meta = {"mode": "files", "site": ".", "tooling": "package.json,package-lock.json"}
    ctx = context(tmp_path, {"index.html": "<h1>", "package.json": "{}", "package-lock.json": "{}"}, meta)
    assert StaticBuildpack().build(ctx).app_excludes == {"project.toml", "package.json", "package-lock.json"}


PUSH_STATE = "BP_WEB_SERVER_ENABLE_PUSH_STATE"


def test_the_single_page_app_fallback_is_logged_and_written_into_the_config(tmp_path: Path) -> None:
    log: list[str] = []
    files = {"dist/index.html": "<div id=app>", "dist/assets/index-BxY3kz9a.js": "", "dist/help/index.html": "",
             "package.json": "{}"}
    result = StaticBuildpack().build(context(tmp_path, files, NODE, env={PUSH_STATE: "true"}, log=log))
    assert f"{PUSH_STATE}: paths that are no file and have no dot in their last segment are answered with " \
           "dist/index.html (200); missing files keep their 404" in log
    text = (result.layers[0].path / "lighttpd.conf").read_text()
    assert '"mod_rewrite"' in text and '=> "/index.html")' in text and "(?:|/help)/?" in text
    plain = StaticBuildpack().build(context(tmp_path / "again", files, NODE, log=log))
    assert "mod_rewrite" not in (plain.layers[0].path / "lighttpd.conf").read_text()


def test_a_value_that_is_no_boolean_stops_the_build_before_anything_is_asked(tmp_path: Path) -> None:
    packages = PackageRequests()
    ctx = context(tmp_path, {"index.html": "<h1>"}, {"mode": "files", "site": "."}, packages=packages,
                  env={PUSH_STATE: "yes please"})
    with pytest.raises(UsageError, match=f"^{PUSH_STATE} must be true or false, not 'yes please'$"):
        StaticBuildpack().build(ctx)
    assert packages.launch == ()


def test_the_fallback_refuses_a_root_index_html_that_is_a_link(tmp_path: Path) -> None:
    packages = PackageRequests()
    ctx = context(tmp_path, {"public/real.html": "<h1>"}, {"mode": "files", "site": "public"},
                  env={PUSH_STATE: "1"}, packages=packages)
    (ctx.workspace / "public" / "index.html").symlink_to(ctx.workspace / "public" / "real.html")
    with pytest.raises(BuildError, match="answers client routes with public/index.html, which is a link"):
        StaticBuildpack().build(ctx)
    assert packages.launch == ()
