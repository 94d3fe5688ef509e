"""The static buildpack: ship only the site, served by lighttpd from Debian on $PORT as the app user.

Steps (see detectors/static.py for what passes detection):

1. The site directory: as detected ("." or public/), or after the Node.js
   build of the group (nodejs, static) the first of dist/, build/, out/,
   public/ holding an index.html the build wrote (`site.find_site`); none is a
   BuildError (exit 5) and nothing is pushed.
2. Everything else in the workspace is an app exclude, so only the site ships,
   at /workspace/<site> (and a site at the root ships without project.toml,
   dockless's build settings, and without package.json and the other Node.js
   tooling files the detector listed). lighttpd refuses dot files (.env, .git/).
3. lighttpd at launch (`ctx.packages.add(["lighttpd"], launch=True)`): one
   package layer on the run image, its libraries resolved from the stack's suite.
4. A launch layer /layers/static/config holding lighttpd.conf, generated here
   (`lighttpd.config`, with the site's fingerprinted files listed for their
   immutable Cache-Control); it reads $PORT when lighttpd starts (PORT
   defaults to 8080 in the image's env, as for the other buildpacks).
   With BP_WEB_SERVER_ENABLE_PUSH_STATE=true (Paketo's variable, read from the
   build env before anything else: a value that is no boolean is exit 2) it
   adds the single-page-app fallback of pushstate.py: client routes are
   answered with the site's root index.html (a missing one is exit 5), missing
   files keep their 404.

The `web` process is `lighttpd -D -f /layers/static/config/lighttpd.conf`:
lighttpd is PID 1 and stops on SIGTERM.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from pathlib import Path

from builder.errors import BuildError
from builder.lifecycle.contract import LAYERS, WORKSPACE, BuildContext, BuildResult, BuiltLayer, Process

from . import lighttpd, pushstate
from .site import excludes, find_site

BUILDPACK = "static"
CONFIG_DIR = f"{LAYERS}/{BUILDPACK}/config"
CONFIG = f"{CONFIG_DIR}/lighttpd.conf"


@dataclass(frozen=True)
class StaticBuildpack:
    """Serves the app's static site with lighttpd; nothing of a Node.js build ships."""

    id: str = BUILDPACK

    def build(self, ctx: BuildContext) -> BuildResult:
        push_state = pushstate.enabled(ctx.env)
        if ctx.packages is None:
            raise BuildError("the static buildpack needs the Debian stack's packages (lighttpd), and this build has "
                             "none", "build with the default stack (no --run-image that lacks a Debian archive)")
        requires = ctx.plan.metadata("static")
        app = ctx.workspace / ctx.app_dir
        site = find_site(app, requires)
        root = posixpath.normpath(posixpath.join(WORKSPACE, ctx.app_dir, site))
        ctx.log(f"serving {_shown(site)} ({root}) with lighttpd from Debian {ctx.packages.suite}")
        if (app / site / "404.html").is_file():
            ctx.log(f"{posixpath.normpath(posixpath.join(site, '404.html'))} answers requests for missing files")
        kept = self._push_state(ctx, app / site, site) if push_state else None
        ctx.packages.add(list(lighttpd.PACKAGES), build=False, launch=True)
        config_dir = ctx.layers_dir / "config"
        config_dir.mkdir(parents=True, exist_ok=True)
        immutable = lighttpd.fingerprinted(app / site)
        ctx.log(f"{len(immutable)} fingerprinted files are served as immutable")
        (config_dir / "lighttpd.conf").write_text(lighttpd.config(root, immutable, push_state=kept), encoding="utf-8")
        layer = BuiltLayer("config", config_dir, CONFIG_DIR, launch=True)
        web = Process("web", lighttpd.command(CONFIG), default=True, working_dir=root)
        launch_env = {"PORT": ctx.env.get("PORT", "8080")}
        tooling = {posixpath.join(ctx.app_dir, n) for n in requires.get("tooling", "").split(",") if n}
        left_out = excludes(ctx.workspace, ctx.app_dir, site) | {"project.toml"} | tooling  # not the site's
        return BuildResult([layer], [web], launch_env, left_out)

    @staticmethod
    def _push_state(ctx: BuildContext, site_dir: Path, site: str) -> list[str]:
        """Checks the root index.html the fallback answers with and logs the rule; the paths it leaves alone."""
        shown = "" if site in ("", ".") else f"{site.rstrip('/')}/"
        pushstate.check_index(site_dir, shown)
        kept = pushstate.kept(site_dir)
        ctx.log(f"{pushstate.SETTING}: paths that are no file and have no dot in their last segment are answered "
                f"with {shown}index.html (200); missing files keep their 404")
        return kept


def _shown(site: str) -> str:
    return "the app's root" if site in ("", ".") else f"{site}/"
