"""The static-site detector: is this a site of files to serve, as written or as a Node.js build writes it?

Two kinds of app pass (the site is served by lighttpd, see buildpacks/static):

    as written   index.html at the root, else public/index.html (Heroku's and Paketo's
                 static conventions), and no package.json: the directory is the site
    Node build   package.json with a build step (scripts.build, or what the Node.js
                 detector runs instead: heroku-postbuild, gcp-build, GOOGLE_NODE_RUN_SCRIPTS),
                 a static-site tool among its dependencies (STATIC_TOOLS) and no server
                 start (SERVERS); the site is what the build writes in dist/, build/, out/
                 or public/ (OUTPUT_DIRS, the tools' defaults: Vite, CRA, Next export, Gatsby)

A package.json with no build step that starts nothing (dev tooling only) and
an index.html at the root or in public/ is a site as written too.

Either way a Procfile `web` line fails detection: the app says how it starts,
and the Procfile (or its language's) buildpack runs that. A package.json app
that is not a Node build of a static site fails too, so an Express app that
keeps an index.html at its root still goes to the Node.js buildpack.

In the Node build case it requires `node` with `build = "true"` and
`launch = "false"`: the group (nodejs, static) installs Node.js and runs the
build, and neither Node.js nor node_modules ships. The metadata of its own
requirement `static` (all strings):

    mode           "files" | "node-build"
    site           the site directory relative to the app ("." or "public") for "files", "" for "node-build"
    candidates     the output directories looked at after the build, comma-separated
    source_index   for "node-build": `dir=sha256` of every candidate whose index.html is already in the
                   source (CRA's public/index.html template), comma-separated, so that the build can tell
                   a written site from a template nobody built
    tooling        for "files" with a package.json: the Node.js tooling files present (NODE_TOOLING),
                   comma-separated, left out of the image
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from builder.lifecycle.contract import Detection, Require

from ._files import read_json_object, read_procfile
from .nodejs import NodeDetector

OUTPUT_DIRS = ("dist", "build", "out", "public")
"""Where static-site tools write by default: Vite, Parcel, Astro, Angular (dist/), Create React App,
Docusaurus (build/), Next.js `output: "export"` (out/), Gatsby (public/). The first with a new index.html wins."""

STATIC_TOOLS = frozenset({
    "vite", "react-scripts", "@vue/cli-service", "@angular/cli", "@angular-devkit/build-angular", "astro",
    "gatsby", "parcel", "parcel-bundler", "@11ty/eleventy", "vitepress", "vuepress", "@docusaurus/core",
    "next", "@sveltejs/adapter-static", "preact-cli", "hexo", "ember-cli", "@rsbuild/core",
})
"""Dependencies (or devDependencies) that build a static site. General bundlers (webpack, rollup, esbuild)
are left out: they bundle servers as often as sites."""

NODE_TOOLING = ("package.json", "package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml",
                ".nvmrc", ".node-version", ".yarnrc.yml", ".yarn")
"""A site as written with a package.json for tooling: these are the tooling's, not the site's, and do not ship."""

BUILD_ONLY = Require("node", {"build": "true", "launch": "false"})
"""Node.js runs the install and the build; neither it nor node_modules ships (see buildpacks/nodejs/build.py)."""

SERVERS = re.compile(
    r"(^|[\s;&|/(])(node|nodemon|ts-node|tsx|bun|deno|pm2|pm2-runtime|forever|npx\s+node|next\s+start|"
    r"nuxt\s+start|remix-serve|react-router-serve)(\s|$)")
"""A `start` script that runs one of these runs a server: the app is Node's, not a static site. A tool's
dev or preview server (`react-scripts start`, `vite`, `vite preview`, `ng serve`, `gatsby develop`) or a
static server (`serve -s build`) is not an app server: this buildpack serves the build instead."""


@dataclass(frozen=True)
class StaticDetector:
    """Passes on a site of files (index.html at the root or in public/) or a Node.js build of one."""

    id: str = "static"

    def detect(self, workspace: Path, env: Mapping[str, str], app_dir: str = "") -> Detection:
        root = workspace / app_dir
        if "web" in read_procfile(root):
            return Detection(self.id, False, ("the Procfile has a web process: it says how the app starts",))
        package = read_json_object(root / "package.json")
        if package is not None:
            return self._node_build(workspace, env, app_dir, package)
        return self._files(root, ()) or Detection(
            self.id, False, ("no index.html at the root or in public/, and no package.json",))

    def _files(self, root: Path, extra: tuple[Require, ...], why: str = "") -> Detection | None:
        """A pass for the site as written (index.html at the root, else in public/), None when there is none."""
        for site in (".", "public"):
            if (root / site / "index.html").is_file():
                where = "the root" if site == "." else f"{site}/"
                meta = {"mode": "files", "site": site, "candidates": site, "source_index": "",
                        "tooling": ",".join(n for n in NODE_TOOLING if (root / n).exists()) if extra else ""}
                return Detection(self.id, True, (f"found index.html at {where}: a static site, served as it is{why}",),
                                 provides=("static",), requires=(Require("static", meta), *extra))
        return None

    def _node_build(self, workspace: Path, env: Mapping[str, str], app_dir: str,
                    package: Mapping[str, Any]) -> Detection:
        root = workspace / app_dir
        node = NodeDetector(consult_static=False).detect(workspace, env, app_dir).metadata("node")
        if node.get("build_script") != "true":
            if not server_start(root, package) and not node.get("start_command"):
                found = self._files(root, (BUILD_ONLY,), " (package.json has no build step and starts nothing: "
                                                         "Node.js at build only)")
                if found:
                    return found
            return Detection(self.id, False, ("package.json has no build script: not a static site build",))
        tools = sorted(static_tools(package))
        if not tools:
            return Detection(self.id, False, ("package.json has a build script but no static-site tool among its "
                                              f"dependencies ({', '.join(sorted(STATIC_TOOLS)[:6])}…)",))
        server = server_start(root, package)
        if server:
            return Detection(self.id, False, (f"{server}: a Node.js server, not a static site",))
        source_index = [f"{d}={_sha256(root / d / 'index.html')}" for d in OUTPUT_DIRS
                        if (root / d / "index.html").is_file()]
        meta = {"mode": "node-build", "site": "", "candidates": ",".join(OUTPUT_DIRS),
                "source_index": ",".join(source_index)}
        reasons = (f"package.json builds a static site with {', '.join(tools)} (scripts "
                   f"{node.get('build_scripts', 'build')}) and starts no server",
                   f"the site is the first of {', '.join(d + '/' for d in OUTPUT_DIRS)} the build writes an "
                   "index.html in; Node.js is needed at build only")
        return Detection(self.id, True, reasons, provides=("static",), requires=(Require("static", meta), BUILD_ONLY))


def static_tools(package: Mapping[str, Any]) -> set[str]:
    """The STATIC_TOOLS among package.json's dependencies and devDependencies."""
    found: set[str] = set()
    for field in ("dependencies", "devDependencies"):
        deps = package.get(field)
        if isinstance(deps, dict):
            found |= STATIC_TOOLS & set(deps)
    return found


def server_start(root: Path, package: Mapping[str, Any]) -> str:
    """Why the app looks like a Node.js server ("" when it does not): a `start` script that runs one
    (SERVERS), or a server.js / index.js at the root or an existing package.json `main`, which the
    Node.js detector would start."""
    scripts = package.get("scripts") if isinstance(package.get("scripts"), dict) else {}
    assert isinstance(scripts, dict)
    start = scripts.get("start")
    if isinstance(start, str) and SERVERS.search(start.strip()):
        return f"scripts.start runs '{start.strip()}'"
    for entry in ("server.js", "index.js"):
        if (root / entry).is_file():
            return f"found {entry}"
    main = package.get("main")
    if isinstance(main, str) and main.strip() and (root / main.strip()).is_file() and not main.endswith(".html"):
        return f"package.json main is {main.strip()}"
    return ""


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
