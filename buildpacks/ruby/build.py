"""The Ruby buildpack: Ruby and Bundler from Debian, `bundle install` into a cached layer, launch processes.

The runtime is the stack's Debian Ruby (`ruby3.3`, with `ruby` for the
/usr/bin/ruby link and `bundler` for /usr/bin/bundle), asked for through
`ctx.packages` at build and at launch; the C toolchain and `ruby3.3-dev` only
at build, so compilers never ship. Build steps run through `ctx.executor`:

    /layers/ruby/gems    BUNDLE_PATH: the installed gems            writable while installing, then a launch layer
    /layers/ruby/home    HOME for this build (bundler's caches)     writable, dropped
    /layers/ruby/rails   a Rails app's launch.rb (RUBYOPT)           launch layer (see rails.py)

`bundle install` runs in deployment mode (BUNDLE_DEPLOYMENT: the lockfile is
frozen, as Heroku and Paketo do) without development:test unless the build env
sets BUNDLE_WITHOUT. Everything bundler is told comes through the environment
(BUNDLE_JOBS too: Bundler 2.3, bookworm's, remembers a `--jobs` flag in the
app's `.bundle/config`, which only a cold build's app layer would then hold),
so no `.bundle/config` is written: gem-server credentials (`BUNDLE_<HOST>`)
and mirrors (`BUNDLE_MIRROR__…`) given with `--env` reach the install and
never the image. The gems layer is keyed by Gemfile, Gemfile.lock, the Ruby
series and BUNDLE_WITHOUT, so a code-only change reuses it untouched.

Gems with native parts that the lockfile names get their Debian libraries
(native.py: nokogiri -> libxml2-dev at build, libxml2 at launch, …), as
Heroku's and Paketo's stacks preinstall them. A Rails app (bin/rails and
config/application.rb) that locks sprockets or propshaft runs
`rails assets:precompile` after the install (Node.js is on PATH when the
group brought it), then gets a tmp/ it can write, a SECRET_KEY_BASE
fallback and stale-pid cleanup at launch (rails.py).
"""

from __future__ import annotations

import hashlib
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from builder.buildpack.launch import make_processes
from builder.buildpack.layers import cached_layer
from builder.buildpack.procfile import read_procfile
from builder.errors import BuildError
from builder.lifecycle.contract import LAYERS, WORKSPACE, BuildContext, BuildResult, BuiltLayer, Component, Mount
from detectors.ruby import gemfile_ruby, read_lockfile

from .groups import LEFT_OUT, check_left_out, top_level_requires
from .extbuild import normalize_build_logs
from .inventory import gem_components, runtime_component
from .native import native_packages
from .rails import LAUNCH_FILE, reproducible_assets, scratch_tmp, write_launch_file
from .versions import OFFERED, STACK_SUITE, check_exact, other_suite, pick_series, series_accepts

BUILDPACK = "ruby"
HOME = f"{LAYERS}/ruby"
GEMS = f"{HOME}/gems"
RAILS = f"{HOME}/rails"
BUILD_HOME = f"{HOME}/home"
TOOLCHAIN = ("make", "gcc", "g++", "libc6-dev", "pkgconf")
APP_EXCLUDES = frozenset({"vendor/bundle", ".bundle/cache"})
_PROBE = "print RUBY_VERSION, ' ', RbConfig::CONFIG['ruby_version'], ' ', (require 'bundler'; Bundler::VERSION)"


@dataclass(frozen=True)
class Ruby:
    """The Ruby the build runs: its version, its ABI directory name (gems/ruby/<abi>) and Bundler's version."""

    version: str
    abi: str
    bundler: str


@dataclass(frozen=True)
class RubyBuildpack:
    """Installs the app's gems with the stack's Ruby; launches the app as PID 1."""

    id: str = BUILDPACK

    def build(self, ctx: BuildContext) -> BuildResult:
        requires = ctx.plan.metadata("ruby")
        if ctx.packages is None:
            raise BuildError("the Ruby buildpack needs the Debian stack's packages, and this build has none",
                             "build with the default stack (no --run-image that lacks a Debian archive)")
        series = self._series(ctx, requires.get("ruby", ""), requires.get("ruby_source", "default"))
        app = ctx.workspace / ctx.app_dir
        lock = read_lockfile(app / "Gemfile.lock")
        install = lock is not None and bool(lock.specs)
        if not install and requires.get("gems") == "true":
            raise BuildError("the Gemfile declares gems but there is no Gemfile.lock to install them from",
                             "run `bundle lock` and commit Gemfile.lock (deployment mode installs only what is locked)")
        ctx.packages.add([f"ruby{series}", "ruby", "bundler"], build=True, launch=True)
        if install:
            assert lock is not None
            ctx.packages.add([f"ruby{series}-dev", *TOOLCHAIN], build=True, launch=False)
            packages = ctx.packages
            native = native_packages((name for name, _ in lock.specs), packages.offered, packages.suite)
            if native.names:
                ctx.log(f"native gems {', '.join(native.names)}: {' '.join(native.build)} at build, "
                        f"{' '.join(native.launch)} at launch")
                packages.add(native.build, build=True, launch=False)
                packages.add(native.launch, build=True, launch=True)
        home = ctx.layers_dir / BUILDPACK / "home"
        home.mkdir(parents=True, exist_ok=True)
        ruby = self._probe(ctx, home)
        ctx.log(f"Ruby {ruby.version} and Bundler {ruby.bundler} from Debian {ctx.packages.suite} "
                f"for '{requires.get('ruby') or 'any'}' ({requires.get('ruby_source') or 'default'})")
        directive = gemfile_ruby(app)
        if directive:  # Bundler enforces it whenever it loads the Gemfile, gems or none (bundle exec at launch)
            check_exact(directive[0], directive[1], ruby.version, ctx.packages.suite)
        app_dir = f"{WORKSPACE}/{ctx.app_dir}".rstrip("/")
        without = ctx.env.get("BUNDLE_WITHOUT", "development:test")
        bundle_env = {"BUNDLE_GEMFILE": f"{app_dir}/Gemfile", "BUNDLE_PATH": GEMS, "BUNDLE_DEPLOYMENT": "true",
                      "BUNDLE_WITHOUT": without}
        layers: list[BuiltLayer] = []
        components: list[Component] = [runtime_component(ruby.version)]  # the lifecycle lists the debs
        if install:
            assert lock is not None
            _check_bundler(lock.bundler, ruby.bundler)
            _check_platforms(lock.platforms)
            meta = {"gemfile": _digest(app / "Gemfile"), "lockfile": _digest(app / "Gemfile.lock"),
                    "ruby": f"{series}/{ruby.abi}", "without": without}
            env = {**ctx.env, **bundle_env, "HOME": BUILD_HOME, "BUNDLE_VERSION": "system"}

            def fill(path: Path) -> None:
                self._run(ctx, ["bundle", "install"], "bundle install", {"BUNDLE_JOBS": "2", **env},
                          [Mount(path, GEMS), Mount(home, BUILD_HOME)], cwd=app_dir)
                _direct_shebangs(path / "ruby" / ruby.abi / "bin", series)
                normalize_build_logs(path / "ruby" / ruby.abi)

            gems, reused = cached_layer(ctx.cache, BUILDPACK, "gems", meta, fill)
            ctx.log("gems: reused the cached layer (Gemfile.lock unchanged)" if reused else "gems: installed")
            layers.append(BuiltLayer("gems", gems, GEMS, launch=True, cache=True, metadata=meta,
                                     check_libraries=True))  # every extension's libraries are in the image
            components += gem_components(gems / "ruby" / ruby.abi, lock.specs)
            required = top_level_requires(app)
            if required:  # only then is Bundler asked which gems BUNDLE_WITHOUT left out
                listed = self._run(ctx, ["ruby", "-e", LEFT_OUT], "bundler groups", env,
                                   [Mount(gems, GEMS, writable=False), Mount(home, BUILD_HOME)], cwd=app_dir)
                check_left_out(required, listed.stdout.split(), without)
            if requires.get("assets") == "true":
                # a throw-away key for apps whose initializers read one at boot (7.1+ also honour the DUMMY flag)
                self._run(ctx, ["bundle", "exec", "rails", "assets:precompile"], "rails assets:precompile",
                          {**env, "RAILS_ENV": "production", "SECRET_KEY_BASE_DUMMY": "1",
                           "SECRET_KEY_BASE": "dockless-assets-precompile-" + "0" * 64},
                          [Mount(gems, GEMS, writable=False), Mount(home, BUILD_HOME)], cwd=app_dir)
                reproducible_assets(app / "public" / "assets")
        rails = requires.get("rails") == "true"
        if rails:
            ctx.log(scratch_tmp(app))
            layer = ctx.layers_dir / BUILDPACK / "rails"
            write_launch_file(layer)
            layers.append(BuiltLayer("rails", layer, RAILS, launch=True))
        commands = dict(read_procfile(app))
        if "web" not in commands and requires.get("start_command"):
            commands = {"web": requires["start_command"], **commands}
        if not commands:
            raise BuildError("no start command for this Ruby app",
                             "add a Procfile with a 'web:' line, a config.ru, or an app.rb")
        processes = make_processes(commands, working_dir=app_dir)
        gem_home = f"{GEMS}/ruby/{ruby.abi}"
        launch_env = {**(bundle_env if install else {}), "RACK_ENV": "production", "RAILS_ENV": "production",
                      "RAILS_LOG_TO_STDOUT": "true", "RAILS_SERVE_STATIC_FILES": "true",
                      "PORT": ctx.env.get("PORT", "8080")}
        if install:
            launch_env |= {"GEM_HOME": gem_home, "PATH.prepend": f"{gem_home}/bin", "PATH.delim": ":"}
        if rails:
            launch_env["RUBYOPT.default"] = f"-r{RAILS}/{LAUNCH_FILE}"
        return BuildResult(layers, processes, launch_env, APP_EXCLUDES, components)

    def _probe(self, ctx: BuildContext, home: Path) -> Ruby:
        done = self._run(ctx, ["ruby", "-e", _PROBE], "ruby --version", {"HOME": BUILD_HOME},
                         [Mount(home, BUILD_HOME)])
        words = done.stdout.split()
        if len(words) < 3:
            raise BuildError(f"the stack's Ruby did not say its version: {done.stdout.strip()[:80]!r}",
                             "check that the ruby and bundler packages install on this stack")
        return Ruby(*words[-3:])

    @staticmethod
    def _series(ctx: BuildContext, request: str, source: str) -> str:
        """The Ruby series to install, moving the build to the suite that has it when the current one does not."""
        assert ctx.packages is not None
        suite = ctx.packages.suite
        if suite in OFFERED and (not request or series_accepts(OFFERED[suite], request)):
            return OFFERED[suite]
        found = other_suite(request, suite)
        if found is not None and found[0] in ctx.packages.offered(f"ruby{found[1]}"):
            ctx.log(f"Ruby '{request}' ({source}): Debian {suite} has Ruby {OFFERED.get(suite, '?')}, "
                    f"{found[0]} has {found[1]}; building on {found[0]}")
            ctx.packages.use_suite(found[0])
            return found[1]
        return pick_series(request, source, suite if suite in OFFERED else STACK_SUITE)

    def _run(self, ctx: BuildContext, argv: Sequence[str], what: str, env: Mapping[str, str],
             mounts: Sequence[Mount], cwd: str = WORKSPACE) -> subprocess.CompletedProcess[str]:
        ctx.log(f"running {' '.join(argv)}")
        return ctx.executor.run(list(argv), what=what, cwd=cwd, env=env, mounts=mounts)


def _digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return ""


def _direct_shebangs(bin_dir: Path, series: str) -> None:
    """Rewrite the gems' `#!/usr/bin/env rubyX.Y` binstubs to `#!/usr/bin/rubyX.Y`.

    Bundler installs binstubs with env shebangs, and the run image has no
    /usr/bin/env (no coreutils), so `bundle exec rackup` would fail with
    "command not found". With Gem.ruby's own path Bundler recognises a Ruby
    script (`ruby_shebang?` in bundler/cli/exec.rb) and loads it in-process:
    no env needed, and the server stays PID 1.
    """
    if not bin_dir.is_dir():
        return
    for stub in sorted(bin_dir.iterdir()):
        data = stub.read_bytes() if stub.is_file() and not stub.is_symlink() else b""
        first, newline, rest = data.partition(b"\n")
        if first.strip() in (f"#!/usr/bin/env ruby{series}".encode(), b"#!/usr/bin/env ruby"):
            stub.write_bytes(f"#!/usr/bin/ruby{series}".encode() + newline + rest)


def _check_bundler(locked: str, running: str) -> None:
    """BUNDLED WITH must share the stack bundler's major: bundler 1 and 2 lockfiles differ (Heroku's rule)."""
    if locked and locked.split(".")[0] != running.split(".")[0]:
        raise BuildError(f"Gemfile.lock was written by Bundler {locked}, and the stack has Bundler {running}",
                         f"run `bundle update --bundler={running}` and commit Gemfile.lock")


def _check_platforms(platforms: Sequence[str]) -> None:
    """Deployment mode cannot add a platform to a frozen lockfile, so one the build can use must be listed:
    `ruby` (sources, compiled here) or an x86_64-linux one (`x86_64-linux`, `x86_64-linux-gnu`)."""
    if platforms and not any(p == "ruby" or p.startswith("x86_64-linux") for p in platforms):
        raise BuildError(f"Gemfile.lock lists only the platforms {', '.join(platforms)}, not x86_64-linux or ruby",
                         "run `bundle lock --add-platform x86_64-linux` and commit Gemfile.lock")
