"""Next.js's build cache (`.next/cache`): kept between builds, never in the image; other cacheDirectories are not taken.

Real npm registry, real npm, the production buildpack. The build script stands
in for `next build`: it says whether it found its cache and writes a new one
holding the time, so a cache that leaked into the app would change it.
"""

from __future__ import annotations

from pathlib import Path

from builder.lifecycle.layercache import DirLayerCache
from buildpacks.nodejs import NodeBuildpack
from buildpacks.nodejs.buildcache import cache_dirs

from tests.e2e.cli import dockless
from tests.infra.registry import Registry

from .building import build_app, make_app
from .support import tree_digest

BUILD = """const fs = require('fs');
console.log(fs.existsSync('.next/cache/seen') ? 'CACHE HIT' : 'CACHE MISS');
fs.mkdirSync('.next/cache/webpack', {recursive: true});
fs.writeFileSync('.next/cache/seen', String(Date.now()));
fs.writeFileSync('.next/BUILD_ID', 'fixed');
"""


def test_which_directories_are_kept() -> None:
    assert cache_dirs({"dependencies": {"next": "15.0.0"}}) == ([".next/cache"], [])
    runtime = "(only build-only caches dockless knows, such as .next/cache, are kept: this directory may be " \
        "needed at run time)"
    assert cache_dirs({"devDependencies": {"next": "15.0.0"}, "cacheDirectories": [".next/cache", ".cache/x"]}) == (
        [".next/cache"], [f".cache/x {runtime}"])
    assert cache_dirs({"cacheDirectories": ["node_modules", "/tmp/x", "../up", "client/node_modules"]}) == (
        [], ["node_modules (node_modules is cached by the buildpack)",
             "/tmp/x (not a directory inside the app)", "../up (not a directory inside the app)",
             f"client/node_modules {runtime}"])
    assert cache_dirs({"dependencies": {"express": "4"}}) == ([], [])


def test_the_build_cache_is_restored_saved_and_never_shipped(tmp_path: Path, buildpack: NodeBuildpack,
                                                             node_cache: DirLayerCache, downloads: Path) -> None:
    files = {"package.json": {"name": "cached-build", "version": "1.0.0", "engines": {"node": "22"},
                              "scripts": {"build": "node build.js", "start": "node server.js"},
                              "dependencies": {"ms": "2.1.3"},
                              "cacheDirectories": [".next/cache", "node_modules"]},
             "build.js": BUILD, "server.js": "require('ms')\n"}
    cache = DirLayerCache(tmp_path / "cache")  # this test's own: the first build is a miss
    digests = []
    for run in ("cold", "warm"):
        app = make_app(tmp_path / run, files)
        built = build_app(app, buildpack, cache, downloads)
        assert ("CACHE HIT" if run == "warm" else "CACHE MISS") in "\n".join(built.output), built.output
        assert not (app / ".next" / "cache").exists() and (app / ".next" / "BUILD_ID").is_file()
        digests.append(tree_digest(app))
        if run == "cold":
            assert "build cache: saved .next/cache for the next build (kept out of the image)" in built.log
        else:
            assert "build cache: restored .next/cache (kept out of the image)" in built.log
        assert ("build cache: package.json cacheDirectories: skipping node_modules (node_modules is cached by "
                "the buildpack)") in built.log
    assert digests[0] == digests[1]  # the same source gives the same app, cache or not


def test_next_start_runs_and_its_build_cache_stays_out_of_the_image(
        tmp_path: Path, registry: Registry, docker_config: Path, repo_name: str, docker_engine: object) -> None:
    """A create-next-app style app (real Next.js from npm): `"start": "next start"` answers from Docker, the
    second build starts from the first one's .next/cache, and the image has none."""
    from tests.infra.docker_engine import docker, serve_then_stop

    files = {"package.json": {"name": "next-app", "version": "0.1.0", "private": True, "engines": {"node": "22"},
                              "scripts": {"dev": "next dev", "build": "next build", "start": "next start"},
                              "dependencies": {"next": "16.4.3", "react": "19.3.0", "react-dom": "19.3.0"}},
             "app/layout.js": "export default function RootLayout({ children }) {\n"
                              "  return <html lang=\"en\"><body>{children}</body></html>\n}\n",
             "app/page.js": "export default function Home() { return <h1>hello from next</h1> }\n"}
    cache = tmp_path / "cache"
    for run_name in ("cold", "warm"):
        app = make_app(tmp_path / run_name, files)
        run = dockless("build", str(app), "--image", f"{registry.host}/{repo_name}:{run_name}", "--verbose",
                       docker_config=docker_config, cache_dir=cache)
        assert run.code == 0, run.stderr[-4000:]
        assert "process 'web': next run by node" in run.stderr
        if run_name == "warm":
            assert "build cache: restored .next/cache (kept out of the image)" in run.stderr
            assert "No build cache found" not in run.stderr
        else:
            assert "build cache: saved .next/cache for the next build" in run.stderr
            assert "No build cache found" in run.stderr  # Next's own warning, which the warm build lacks
    image = run.last_line
    docker("pull", image, docker_config=docker_config)
    probe = docker("run", "--rm", "--entrypoint", "/bin/sh", image, "-c",
                   "test -d /workspace/.next/cache && echo cache || echo none; test -f /workspace/.next/BUILD_ID && "
                   "echo built", docker_config=docker_config).stdout.decode().split()
    assert probe == ["none", "built"]
    body, _ = serve_then_stop(image, docker_config=docker_config)
    assert "hello from next" in body
