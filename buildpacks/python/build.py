"""The Python buildpack: CPython from Debian, the app's dependencies in a virtual environment layer, processes.

The runtime is a Debian suite's `python3.X` (build and launch), picked by
`versions.choose` (the build moves to the suite that has the series asked
for, as the Ruby buildpack does for Ruby 3.1). The C toolchain and
`python3.X-dev` are in the build root only, so an sdist with a C extension
compiles and no compiler ships. Build steps run through `ctx.executor`:

    /layers/python/venv     the dependencies: `python3.X -m venv --without-pip`, then pip   launch + cache
    /layers/python/project  the app's own code: its package when console scripts start it,  launch
                            and every local path it depends on (`.`, `-e ./libs/x`, a lock's
                            path source or workspace member); made on every build
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
(`indexes.pip_env`) reach pip through the environment only. The app's own code
never stays in the venv: pip installs a local path there for its dependencies
and `local_distributions` names it for `pip uninstall` (trial bug 5: a reused
venv ran the old copy). pip runs under `_PIP`, which seeds its temporary
names, so an sdist's C extension compiles in the same directory on every
build (trial bug 8). A `--hash` mismatch is IntegrityError (exit 7,
`hash_mismatch`); the host's `__pycache__` is left out of the app layer
(`bytecode_caches`).
"""

from __future__ import annotations

import json
import os
import posixpath
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
from builder.errors import BuildError, IntegrityError
from builder.lifecycle.contract import (LAYERS, WORKSPACE, BuildContext, BuildResult, BuiltLayer, Component, Mount,
                                     Process)
from detectors.python import dependency_names, read_toml

from .indexes import pip_env
from .inventory import python_components
from .pip import PIP_VERSION, fetch_wheel
from .native import NATIVE_SDISTS
from .plan import SKIPPED, plan
from .versions import OFFERED, choose, series_accepts

VENV_LAYOUT = "3"  # how fill() makes the venv; a change must not reuse venvs cached the old way (2: --prompt,
# 3: the app's own code uninstalled, sdists built under seeded temporary names)
BUILDPACK = "python"
VENV = f"{LAYERS}/python/venv"
BUILD_HOME = f"{LAYERS}/python/home"
PROJECT = f"{LAYERS}/python/project"
TOOLCHAIN = ("gcc", "g++", "libc6-dev", "make", "pkgconf")
APP_EXCLUDES = frozenset({".venv", "venv"})
BYTECODE_CACHES = "__pycache__"  # PEP 3147: a host's bytecode, never the app's (trial bug 15i)
EPOCH = "315532800"  # 1980-01-01, the layers' fixed mtime (SOURCE_DATE_EPOCH for anything that reads it)
_COMPILE = ("import compileall, py_compile, sys\n"
            "compileall.compile_dir(sys.argv[1], quiet=2, workers=1, stripdir=sys.argv[1], prependdir='/' + sys.argv[2],\n"
            "    invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)\n")
"""argv: the directory (translated to a host path by a host executor) and its path in the image without the
leading slash (so no executor translates it): the .pyc files name their source by the image's path either way."""
_PIP = ("import random, runpy, sys, tempfile, uuid\n"
        "rng = random.Random(sys.argv[1])\n"
        "class Names(tempfile._RandomNameSequence):\n"
        "    rng = property(lambda self: rng)\n"
        "tempfile._name_sequence = Names()\n"
        "uuid.uuid4 = lambda: uuid.UUID(int=rng.getrandbits(128), version=4)\n"
        "sys.argv = sys.argv[2:]\n"
        "runpy.run_path(sys.argv[0], run_name='__main__')\n")
"""Runs pip (argv: a seed, then pip's own argv, the first being the wheel's `pip` directory) with temporary
names drawn from a seeded generator: pip unpacks and builds each sdist in `/tmp/pip-install-<random>/<name>_
<uuid4>`, and that directory is compiled into a C extension (DWARF comp_dir, __FILE__, the GNU build-id
over them), so random names made the same requirements give a different venv on every cold build (trial
bug 8). tempfile's name sequence and uuid4 are the only sources of those names (pip's req_install and
temp_dir); each pip run starts from the same seed in a fresh /tmp (the sandbox's tmpfs), so it draws the
same names. The build backends pip starts are separate processes, but they build in the directory pip
chose."""


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
        app = ctx.workspace / ctx.app_dir
        if not requires.get("start_command") and not read_procfile(app):  # before anything is installed
            raise _no_start(requires)
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

        def pip(args: Sequence[str], what: str, mounts: Sequence[Mount], cwd: str, command: str = "install") -> None:
            wheel = fetch_wheel("pip", PIP_VERSION, ctx.download_dir / "pypi", home, self.ca_file, ctx.log)
            extra = ["--no-compile"] if command == "install" else []
            try:
                self._run(ctx, [f"{VENV}/bin/python", "-c", _PIP, "dockless", f"{BUILD_HOME}/{wheel.name}/pip",
                                command, *extra, *args], what, env, mounts, cwd)
            except BuildError as exc:
                mismatch = hash_mismatch(exc.hint)
                if mismatch:
                    raise IntegrityError(f"{what}: {mismatch}",
                                         "the file the index served is not the one the requirements pin: "
                                         "fix the pin (pip hash, or lock again), or check the index") from None
                raise BuildError(f"{what} failed: {reason}" if (reason := pip_error(exc.hint)) else exc.message,
                                 exc.hint) from None

        def fill(path: Path) -> None:
            mounts = [Mount(path, VENV), Mount(home, BUILD_HOME)]
            # --prompt: else activate* name the directory it was made in (a temp name on the host)
            self._run(ctx, [f"/usr/bin/{python}", "-m", "venv", "--without-pip", "--prompt", "venv", VENV],
                      "python -m venv", env, mounts, app_dir)
            if install.requirements is not None:
                pip(install.requirements, f"pip install ({installer})", mounts, app_dir)
            mine = local_distributions(path)  # the app's own code, installed by pip for its dependencies
            if mine:
                pip(["--yes", *mine], "pip uninstall (the app's own code, for the project layer)", mounts, VENV,
                    "uninstall")  # not from the app's directory: pip would see the source tree there, not the venv
            relocate_scripts(path, VENV)
            self._run(ctx, [f"{VENV}/bin/python", "-c", _COMPILE, f"{VENV}/lib", f"{VENV}/lib".lstrip("/")],
                      "compileall", env, mounts)

        venv, reused = cached_layer(ctx.cache, BUILDPACK, "venv", meta, fill)
        ctx.log("venv: reused the cached layer (dependencies and Python unchanged)" if reused else "venv: installed")
        layers = [BuiltLayer("venv", venv, VENV, launch=True, cache=True, metadata=meta,
                             check_libraries=True)]  # every extension's libraries must be in the image
        read_only = [Mount(venv, VENV, writable=False), Mount(home, BUILD_HOME)]
        if install.project_paths():
            layers.append(self._project(ctx, app, home, read_only, pip, install.project_paths()))
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
        left_out = {posixpath.join(ctx.app_dir, e) for e in APP_EXCLUDES} | bytecode_caches(ctx.workspace, ctx.app_dir)
        return BuildResult(layers, processes, launch_env, frozenset(left_out), components)

    def _project(self, ctx: BuildContext, app: Path, home: Path, mounts: Sequence[Mount],
                 pip: Callable[[Sequence[str], str, Sequence[Mount], str], None], paths: Sequence[str]) -> BuiltLayer:
        """The app's own code (`pip install --no-deps --target`): its package ("." in `paths`) and the local paths
        it depends on (app-relative), built from a copy of the source so that no build/ or *.egg-info lands in
        the app layer; a launch layer of its own, made on every build, so a code change is always picked up."""
        source = home / "src"
        shutil.rmtree(source, ignore_errors=True)
        shutil.copytree(app, source, ignore=shutil.ignore_patterns(*SKIPPED), symlinks=True)
        target = ctx.layers_dir / BUILDPACK / "project"
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        writable = [*mounts, Mount(target, PROJECT)]
        sources = [f"{BUILD_HOME}/src" if rel == "." else f"{BUILD_HOME}/src/{rel}" for rel in paths]
        pip(["--no-deps", "--target", PROJECT, *sources], "pip install (the app's own code)", writable,
            f"{BUILD_HOME}/src")
        relocate_scripts(target, PROJECT)
        self._run(ctx, [f"{VENV}/bin/python", "-c", _COMPILE, PROJECT, PROJECT.lstrip("/")], "compileall",
                  {"HOME": BUILD_HOME}, writable)
        ctx.log(f"project: installed the app's own code ({', '.join(paths)}), rebuilt on every build")
        return BuiltLayer("project", target, PROJECT, launch=True, check_libraries=True,
                          launch_env={"PATH.prepend": f"{PROJECT}/bin", "PATH.delim": ":",
                                      "PYTHONPATH.prepend": PROJECT, "PYTHONPATH.delim": ":"})

    @staticmethod
    def _processes(app: Path, requires: Mapping[str, str], layers: Sequence[Path], app_dir: str) -> list[Process]:
        commands = dict(read_procfile(app))
        if "web" not in commands and requires.get("start_command"):
            commands = {"web": requires["start_command"], **commands}
        if not commands:
            raise _no_start(requires)
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


def _no_start(requires: Mapping[str, str]) -> BuildError:
    """No Procfile and no start command found at detect: the detector's why (`start_problem`) and what to add
    (`start_hint`, which never asks for a server that is already a dependency)."""
    problem = requires.get("start_problem")
    return BuildError(f"no start command for this Python app{': ' + problem if problem else ''}",
                      requires.get("start_hint") or "add a Procfile with a 'web:' line, gunicorn or uvicorn with an "
                      "app object in app.py or main.py, a main.py or app.py that serves, or one [project.scripts] entry")


def pip_error(output: str) -> str:
    """pip's own last `ERROR: …` line in its output ("No matching distribution found for x==1.0"), shortened;
    "" when it printed none (a compiler's error then speaks in the output)."""
    found = [line.removeprefix("ERROR: ").strip() for line in output.splitlines() if line.startswith("ERROR: ")]
    reason = found[-1] if found else ""
    return reason if len(reason) <= 200 else reason[:197] + "…"


def hash_mismatch(output: str) -> str:
    """One line for pip's "THESE PACKAGES DO NOT MATCH THE HASHES" block: the file (its requirement), the
    expected and the got sha256, shortened to 12 hex digits each when the line would pass 240 characters;
    "" when pip printed no such block. The mismatch is a download that did not match its digest: exit 7, as a
    corepack or Go sum mismatch is elsewhere."""
    if "DO NOT MATCH THE HASHES" not in output:
        return ""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if "DO NOT MATCH THE HASHES" in line)
    what = expected = got = ""
    for line in lines[start + 1:]:
        text = line.strip()
        if not what and text.endswith(":") and "from" in text:
            what = text[:-1].split(" (from", 1)[0]  # "markupsafe==2.1.5 from https://…/MarkupSafe-2.1.5.tar.gz"
        elif text.startswith("Expected sha256") and not expected:
            expected = text.split()[-1]
        elif text.startswith("Got") and not got:
            got = text.split()[-1]
    if what and " from " in what:
        name, url = what.split(" from ", 1)
        what = f"{name} ({url.rsplit('/', 1)[-1].split('#', 1)[0]})"
    line = f"{what or 'a package'} does not match its hash: expected sha256 {expected}, got {got}"
    if len(line) > 240:
        line = f"{what or 'a package'} does not match its hash: expected sha256 {expected[:12]}…, got {got[:12]}…"
    return line if len(line) <= 300 else line[:299] + "…"


def local_distributions(venv: Path) -> list[str]:
    """The distributions in `venv` that pip installed from a local directory or file (PEP 610
    direct_url.json with a file: URL), by name, sorted: the app's own code, which the project layer holds."""
    found = set()
    for record in sorted(venv.glob("lib/python*/site-packages/*.dist-info/direct_url.json")):
        try:
            url = json.loads(record.read_text(encoding="utf-8")).get("url", "")
        except (ValueError, AttributeError):
            continue
        if isinstance(url, str) and url.startswith("file:"):
            found.add(record.parent.name.split("-", 1)[0])
    return sorted(found)


def bytecode_caches(workspace: Path, app_dir: str) -> set[str]:
    """Workspace-relative paths of the host's bytecode under the app: `__pycache__` directories, and `*.pyc`
    files beside their `.py` (Python 2's layout); Python writes them again when it needs them."""
    found: set[str] = set()
    root = workspace / app_dir
    for dirpath, dirnames, filenames in os.walk(root):
        rel = Path(dirpath).relative_to(workspace).as_posix()
        rel = "" if rel == "." else rel
        for name in dirnames:
            if name == BYTECODE_CACHES:
                found.add(posixpath.join(rel, name))
        dirnames[:] = [d for d in dirnames if d not in (BYTECODE_CACHES, ".git")]
        for name in filenames:
            if name.endswith((".pyc", ".pyo")) and name[:-1] in filenames:
                found.add(posixpath.join(rel, name))
    return found


def _static_root(settings: Path) -> bool:
    """Whether Django's settings configure STATIC_ROOT (collectstatic needs it; Heroku runs it then)."""
    try:
        return "STATIC_ROOT" in settings.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return False
