"""A dependency compiled by node-gyp at install: node-expat 2.4.1 (its tarball ships a macOS arm64 build).

With the npm that Node.js ships with, the install script runs and the image gets
an ELF module built against the runtime's headers. With npm 12 (which blocks
dependencies' install scripts unless allowed) the build fails on npm's own
line, shown in the normal log; if nothing had said so, the launch check would
still refuse the macOS file. Real npm registry; needs make and a C++ compiler.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from builder.buildpack.elf import shared_object_problem
from builder.errors import BuildError
from builder.lifecycle.layercache import DirLayerCache
from buildpacks.nodejs import NodeBuildpack
from buildpacks.nodejs.pmlog import report

from .building import Built, build_app, make_app

NODE = "24.3.0"  # ships npm 11.4.2, which runs install scripts
EXPAT = "node-expat/build/Release/node_expat.node"
SERVER = "const expat = require('node-expat'); console.log(typeof new expat.Parser('UTF-8').parse)\n"

pytestmark = pytest.mark.skipif(not (shutil.which("make") and shutil.which("g++")), reason="needs make and g++")


def expat_app(root: Path, **package: object) -> Path:
    return make_app(root, {"package.json": {"name": "expat", "version": "1.0.0", "engines": {"node": NODE},
                                            "dependencies": {"node-expat": "2.4.1"}, **package},
                           "server.js": SERVER})


def test_the_bundled_npm_compiles_the_addon(tmp_path: Path, buildpack: NodeBuildpack, node_cache: DirLayerCache,
                                            downloads: Path) -> None:
    app = expat_app(tmp_path / "app")
    built = build_app(app, buildpack, node_cache, downloads)
    assert f"npm: npm 11.4.2 (the npm bundled with Node.js {NODE})" in built.log
    module = built.layer("node_modules") / EXPAT
    assert shared_object_problem(module, buildpack.arch) is None
    node = built.layer("node") / "bin" / "node"
    out = subprocess.run([str(node), "server.js"], cwd=app, capture_output=True, text=True,
                         env={"NODE_PATH": str(built.layer("node_modules"))}, check=True)
    assert out.stdout.strip() == "function"


def test_npm_12_blocking_the_install_script_fails_the_build_with_its_line(
        tmp_path: Path, buildpack: NodeBuildpack, node_cache: DirLayerCache, downloads: Path) -> None:
    built = Built()
    app = expat_app(tmp_path / "app", engines={"node": "24.15.0"}, packageManager="npm@12.2.2")
    with pytest.raises(BuildError) as caught:
        build_app(app, buildpack, node_cache, downloads, built=built)
    assert "install scripts blocked" in caught.value.message and "node-expat@2.4.1" in caught.value.message
    assert caught.value.exit_code == 5
    assert any(line.startswith("npm warn install-scripts") for line in built.log)  # shown without --verbose


def test_warnings_reach_the_log_and_blocked_scripts_fail_for_every_manager() -> None:
    """The lines each package manager prints (copied from their output) and what dockless makes of them."""
    logged: list[str] = []
    ok = subprocess.CompletedProcess([], 0, "added 1 package\n", "npm warn deprecated inflight@1.0.6: leaks memory\n")
    report(ok, what="npm ci", manager="npm", log=logged.append)
    assert logged == ["npm warn deprecated inflight@1.0.6: leaks memory"]
    cases = {
        "pnpm": " WARN  1 deprecated subdependencies found\n\u2557 Ignored build scripts: node-expat.\n",
        "yarn-berry": "\u27a4 YN0004: \u2502 node-expat@npm:2.4.1 lists build scripts, but its build has been "
                      "explicitly disabled through configuration.\n",
    }
    for manager, output in cases.items():
        with pytest.raises(BuildError, match="node-expat"):
            report(subprocess.CompletedProcess([], 0, output, ""), what="install", manager=manager, log=logged.append)


def test_pnpm_10_ignoring_the_build_script_fails_the_build_with_its_line(
        tmp_path: Path, buildpack: NodeBuildpack, node_cache: DirLayerCache, downloads: Path) -> None:
    """pnpm 10 runs no dependency build scripts unless listed in pnpm.onlyBuiltDependencies."""
    built = Built()
    app = expat_app(tmp_path / "blocked", packageManager="pnpm@10.12.1")
    with pytest.raises(BuildError, match=r"Ignored build scripts: node-expat") as caught:
        build_app(app, buildpack, node_cache, downloads, built=built)
    assert "onlyBuiltDependencies" in caught.value.hint
    allowed = expat_app(tmp_path / "allowed", packageManager="pnpm@10.12.1",
                        pnpm={"onlyBuiltDependencies": ["node-expat"]})
    built = build_app(allowed, buildpack, node_cache, downloads)
    modules = built.layer("node_modules")
    module = next(modules.glob(".pnpm/node-expat@2.4.1/node_modules/node-expat/build/Release/node_expat.node"))
    assert shared_object_problem(module, buildpack.arch) is None


def test_no_nodedir_warning_and_no_build_leftovers_in_the_image(tmp_path: Path, buildpack: NodeBuildpack,
                                                                node_cache: DirLayerCache, downloads: Path) -> None:
    """npm 11.4.2 warned `Unknown env config "nodedir"` on every run; node-gyp's object files shipped."""
    cache = DirLayerCache(tmp_path / "cache")  # a cold install, so npm and node-gyp really run
    built = build_app(expat_app(tmp_path / "app"), buildpack, cache, downloads)
    assert not any("nodedir" in line for line in built.output + built.log), [l for l in built.output if "nodedir" in l]
    package = built.layer("node_modules") / "node-expat"
    assert shared_object_problem(package / "build/Release/node_expat.node", buildpack.arch) is None
    assert not (package / "build/Release/obj.target").exists() and not (package / "build/Release/.deps").exists()
    assert not list(package.rglob("*.o"))
    assert any("native build leftovers" in line for line in built.log)
