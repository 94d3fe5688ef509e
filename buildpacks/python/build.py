"""The Python buildpack: CPython from Debian, the app's dependencies in a virtual environment layer, processes.

The runtime is a Debian suite's `python3.X` (build and launch), picked by
`versions.choose` (the build moves to the suite that has the series asked
for, as the Ruby buildpack does for Ruby 3.1). The C toolchain and
`python3.X-dev` are in the build root only, so an sdist with a C extension
compiles and no compiler ships. Build steps run through `ctx.executor`:

    /layers/python/venv     the dependencies: `python3.X -m venv --without-pip`, then pip   launch + cache
    /layers/python/project  the app's own package, when its console scripts start it       launch
    /layers/python/home     HOME, the pip wheel, the exported requirements, a source copy  dropped

What is installed, and the venv's cache key, come from `plan` (pip with
requirements.txt; uv.lock, poetry.lock and Pipfile.lock exported by `locks` to
hashed requirements installed with `--require-hashes --no-deps`, so no Poetry,
Pipenv or uv is installed; a PEP 621 project's static dependencies; `.` itself
for a project whose dependencies only its build backend knows).

pip is one pinned wheel from PyPI, verified by sha256 (`pip.fetch_wheel`), run
from the wheel, so no installer ships. It installs with --no-compile; the
bytecode is then written by compileall with `--invalidation-mode
unchecked-hash` (PEP 552) in a single process, so the same sources give
byte-identical .pyc files and the same layer (pip's default .pyc carry the
source's mtime, which a fresh checkout changes).

The venv layer is keyed by `plan`'s inputs digest (the lock, the requirements
file, or the static dependency list), the Python series and suite, the
installer and pip's version, so a code-only change reuses it untouched and
only the app (and project) layers change. Index settings and credentials
(`indexes.pip_env`) reach pip through the environment only.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from builder.buildpack.launch import make_processes
from builder.buildpack.layers import cached_layer
from builder.buildpack.native import native_packages
from builder.buildpack.relocate import relocate_scripts
from builder.buildpack.procfile import read_procfile
from builder.errors import BuildError
from builder.lifecycle.contract import (LAYERS, WORKSPACE, BuildContext, BuildResult, BuiltLayer, Component, Mount,
                                     Process)
from detectors.python import dependency_names, read_toml

from .indexes import pip_env
from .inventory import python_components
from .pip import PIP_VERSION, fetch_wheel
from .native import NATIVE_SDISTS
from .plan import SKIPPED, plan
from .versions import OFFERED, choose, series_accepts

VENV_LAYOUT = "2"  # how fill() makes the venv; a change must not reuse venvs cached the old way (2: --prompt)
BUILDPACK = "python"
VENV = f"{LAYERS}/python/venv"
BUILD_HOME = f"{LAYERS}/python/home"
PROJECT = f"{LAYERS}/python/project"
TOOLCHAIN = ("gcc", "g++", "libc6-dev", "make", "pkgconf")
APP_EXCLUDES = frozenset({".venv", "venv"})
EPOCH = "315532800"  # 1980-01-01, the layers' fixed mtime (SOURCE_DATE_EPOCH for anything that reads it)
_COMPILE = ("import compileall, py_compile, sys\n"
            "compileall.compile_dir(sys.argv[1], quiet=2, workers=1, stripdir=sys.argv[1], prependdir='/' + sys.argv[2],\n"
            "    invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)\n")
"""argv: the directory (translated to a host path by a host executor) and its path in the image without the
leading slash (so no executor translates it): the .pyc files name their source by the image's path either way."""


@dataclass(frozen=True)
class PythonBuildpack:
    """Installs the app's dependencies into a venv with Debian's CPython; launches the app as PID 1."""

    id: str = BUILDPACK
    ca_file: Path | None = None

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> PythonBuildpack:
        """Configured like pip on this host: SSL_CERT_FILE for PyPI through a TLS-inspecting proxy."""
        ca = environ.get("SSL_CERT_FILE", "").strip()
        return cls(ca_file=Path(ca) if ca else None)

    def build(self, ctx: BuildContext) -> BuildResult:
        requires = ctx.plan.metadata("python")
        if ctx.packages is None:
            raise BuildError("the Python buildpack needs the Debian stack's packages, and this build has none",
                             "build with the default stack (no --run-image that lacks a Debian archive)")
        series = self._series(ctx, requires.get("python", ""), requires.get("python_source", "default"))
        declared = requires.get("requires_python", "")
        if declared and not series_accepts(series, declared):  # uv refuses the same disagreement
            raise BuildError(f"Python {series} ({requires.get('python_source', 'default')}) does not meet "
                             f"requires-python '{declared}' in pyproject.toml",
                             "make .python-version (or runtime.txt, BP_CPYTHON_VERSION) and requires-python agree")
        python = f"python{series}"
        installer = requires.get("installer", "none")
        ctx.packages.add([python], build=True, launch=True)
        if installer != "none":
            ctx.packages.add([f"{python}-dev", *TOOLCHAIN], build=True, launch=False)
        app = ctx.workspace / ctx.app_dir
        native = native_packages(dependency_names(app, read_toml(app / "pyproject.toml")), NATIVE_SDISTS,
                                 ctx.packages.offered, ctx.packages.suite)
        if native.names:
            ctx.log(f"native packages {', '.join(native.names)}: {' '.join(native.build)} at build, "
                    f"{' '.join(native.launch)} at launch")
            ctx.packages.add(native.build, build=True, launch=False)
            ctx.packages.add(native.launch, build=True, launch=True)
        app_dir = f"{WORKSPACE}/{ctx.app_dir}".rstrip("/")
        home = ctx.layers_dir / BUILDPACK / "home"
        home.mkdir(parents=True, exist_ok=True)
        ctx.log(f"CPython {series} from Debian {ctx.packages.suite} for '{requires.get('python') or 'any'}' "
                f"({requires.get('python_source') or 'default'}); installs with {installer}")
        install = plan(app, installer, home, BUILD_HOME)
        meta = {"python": f"{series}/{ctx.packages.suite}", "installer": installer, "pip": PIP_VERSION,
                "inputs": install.inputs, "layout": VENV_LAYOUT}
        env = {**ctx.env, **pip_env(app, installer, ctx.env), "HOME": BUILD_HOME, "SOURCE_DATE_EPOCH": EPOCH,
               "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1", "PIP_ROOT_USER_ACTION": "ignore",
               "PIP_NO_CACHE_DIR": "1", "PYTHONDONTWRITEBYTECODE": "1"}

        def pip(args: Sequence[str], what: str, mounts: Sequence[Mount], cwd: str) -> None:
            wheel = fetch_wheel("pip", PIP_VERSION, ctx.download_dir / "pypi", home, self.ca_file, ctx.log)
            try:
                self._run(ctx, [f"{VENV}/bin/python", f"{BUILD_HOME}/{wheel.name}/pip", "install", "--no-compile",
                                *args], what, env, mounts, cwd)
            except BuildError as exc:
                raise BuildError(f"{what} failed: {reason}" if (reason := pip_error(exc.hint)) else exc.message,
                                 exc.hint) from None

        def fill(path: Path) -> None:
            mounts = [Mount(path, VENV), Mount(home, BUILD_HOME)]
            # --prompt: else activate* name the directory it was made in (a temp name on the host)
            self._run(ctx, [f"/usr/bin/{python}", "-m", "venv", "--without-pip", "--prompt", "venv", VENV],
                      "python -m venv", env, mounts, app_dir)
            if install.requirements is not None:
                pip(install.requirements, f"pip install ({installer})", mounts, app_dir)
            relocate_scripts(path, VENV)
            self._run(ctx, [f"{VENV}/bin/python", "-c", _COMPILE, f"{VENV}/lib", f"{VENV}/lib".lstrip("/")],
                      "compileall", env, mounts)

        venv, reused = cached_layer(ctx.cache, BUILDPACK, "venv", meta, fill)
        ctx.log("venv: reused the cached layer (dependencies and Python unchanged)" if reused else "venv: installed")
        layers = [BuiltLayer("venv", venv, VENV, launch=True, cache=True, metadata=meta,
                             check_libraries=True)]  # every extension's libraries must be in the image
        read_only = [Mount(venv, VENV, writable=False), Mount(home, BUILD_HOME)]
        if install.project:
            layers.append(self._project(ctx, app, home, read_only, pip))
        django = requires.get("django", "")
        if django and _static_root(app / django / "settings.py"):
            try:
                self._run(ctx, [f"{VENV}/bin/python", "manage.py", "collectstatic", "--noinput"],
                          "django collectstatic", env, read_only, app_dir)
            except BuildError as exc:
                missing = re.findall(r"KeyError: '([A-Z][A-Z0-9_]*)'", exc.hint)
                if not missing:
                    raise
                raise BuildError(f"{exc.message}: the settings read ${missing[-1]}, which the build does not have",
                                 f"give it at build with --env {missing[-1]}=… (build-time only: it is not written "
                                 "to the image), or give the setting a default") from None
        processes = self._processes(app, requires, [layer.path for layer in layers], app_dir)
        launch_env = {"PATH.prepend": f"{VENV}/bin", "PATH.delim": ":", "VIRTUAL_ENV": VENV,
                      "PYTHONUNBUFFERED": "1", "PYTHONDONTWRITEBYTECODE": "1", "PORT": ctx.env.get("PORT", "8080")}
        components: list[Component] = [Component("python", series, f"pkg:generic/cpython@{series}", "packages",
                                                 "application")]
        components += [c for layer in layers for c in python_components(layer.path, layer.name)]
        return BuildResult(layers, processes, launch_env, APP_EXCLUDES, components)

    def _project(self, ctx: BuildContext, app: Path, home: Path, mounts: Sequence[Mount],
                 pip: Callable[[Sequence[str], str, Sequence[Mount], str], None]) -> BuiltLayer:
        """The app's own package (`pip install --no-deps --target`), built from a copy of the source so that no
        build/ or *.egg-info lands in the app layer; a launch layer of its own, made on every build."""
        source = home / "src"
        shutil.rmtree(source, ignore_errors=True)
        shutil.copytree(app, source, ignore=shutil.ignore_patterns(*SKIPPED), symlinks=True)
        target = ctx.layers_dir / BUILDPACK / "project"
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        writable = [*mounts, Mount(target, PROJECT)]
        pip(["--no-deps", "--target", PROJECT, f"{BUILD_HOME}/src"], "pip install (the app's package)", writable,
            f"{BUILD_HOME}/src")
        relocate_scripts(target, PROJECT)
        self._run(ctx, [f"{VENV}/bin/python", "-c", _COMPILE, PROJECT, PROJECT.lstrip("/")], "compileall",
                  {"HOME": BUILD_HOME}, writable)
        ctx.log("project: installed the app's own package (its console scripts start it)")
        return BuiltLayer("project", target, PROJECT, launch=True,
                          launch_env={"PATH.prepend": f"{PROJECT}/bin", "PATH.delim": ":",
                                      "PYTHONPATH.prepend": PROJECT, "PYTHONPATH.delim": ":"})

    @staticmethod
    def _processes(app: Path, requires: Mapping[str, str], layers: Sequence[Path], app_dir: str) -> list[Process]:
        commands = dict(read_procfile(app))
        if "web" not in commands and requires.get("start_command"):
            commands = {"web": requires["start_command"], **commands}
        if not commands:
            problem = requires.get("start_problem")
            raise BuildError(f"no start command for this Python app{': ' + problem if problem else ''}",
                             "add gunicorn or uvicorn to the requirements, a Procfile with a 'web:' line, a main.py "
                             "or app.py that serves, or one [project.scripts] entry")
        scripts = {p.name: f"{target}/bin/{p.name}" for layer, target in zip(layers, (VENV, PROJECT))
                   if (layer / "bin").is_dir() for p in sorted((layer / "bin").iterdir())}
        return make_processes(commands, aliases=scripts, working_dir=app_dir)

    @staticmethod
    def _series(ctx: BuildContext, request: str, source: str) -> str:
        """The CPython series to install, moving the build to the suite that has it when the current one does not."""
        assert ctx.packages is not None
        current = ctx.packages.suite
        suite, series = choose(request, source, current, OFFERED)
        if suite != current:
            if suite not in ctx.packages.offered(f"python{series}"):
                choose(request, source, current, {})  # raises, listing the offer
            ctx.log(f"Python '{request}' ({source}): Debian {current} has "
                    f"{' and '.join(OFFERED.get(current, ()))}, {suite} has {series}; building on {suite}")
            ctx.packages.use_suite(suite)
        return series

    def _run(self, ctx: BuildContext, argv: Sequence[str], what: str, env: Mapping[str, str],
             mounts: Sequence[Mount], cwd: str = WORKSPACE) -> subprocess.CompletedProcess[str]:
        shown = [a if "\n" not in a else "<script>" for a in argv]
        ctx.log(f"running {' '.join(shown)}")
        return ctx.executor.run(list(argv), what=what, cwd=cwd, env=env, mounts=mounts)


def pip_error(output: str) -> str:
    """pip's own last `ERROR: …` line in its output ("No matching distribution found for x==1.0"), shortened;
    "" when it printed none (a compiler's error then speaks in the output)."""
    found = [line.removeprefix("ERROR: ").strip() for line in output.splitlines() if line.startswith("ERROR: ")]
    reason = found[-1] if found else ""
    return reason if len(reason) <= 200 else reason[:197] + "…"


def _static_root(settings: Path) -> bool:
    """Whether Django's settings configure STATIC_ROOT (collectstatic needs it; Heroku runs it then)."""
    try:
        return "STATIC_ROOT" in settings.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return False
