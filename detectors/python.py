"""The Python detector: is this a Python app, which CPython does it ask for, which installer, how does it start?

It reads what Heroku's, Paketo's and Google's Python buildpacks read, so an
app that builds there builds here unchanged:

    app             requirements.txt, pyproject.toml (Poetry, uv, or a PEP 621 [project] / a
                    [build-system]), Pipfile / Pipfile.lock, setup.py, uv.lock, poetry.lock, or a
                    *.py file with a Procfile whose commands run Python (python, gunicorn, uvicorn, a .py
                    file): a Node.js app's Procfile beside a helper script stays Node.js. A pyproject.toml holding only tool settings
                    ([tool.black], [tool.ruff]) is not an app.
    Python version  .python-version > runtime.txt (deprecated, Heroku's) > pyproject requires-python
                    (or Poetry's tool.poetry.dependencies python)
                    > Pipfile [requires] python_version > BP_CPYTHON_VERSION (Paketo's) > the stack's
    installer       uv.lock (uv) > poetry.lock (poetry) > Pipfile.lock (pipenv) > requirements.txt (pip)
                    > a pyproject/setup.py project (pip install .) > none
    start command   Procfile web > gunicorn (WSGI: Django <project>/wsgi.py, app:app in app.py/main.py)
                    > uvicorn (ASGI: main:app / app:app, Django asgi.py) when the server is a dependency
                    > python main.py / app.py > the one [project.scripts] entry

It provides `python` and requires it with these metadata (all strings):

    python / python_source    the version request as written (">=3.11", "3.13") and where it came from
    installer                 uv | poetry | pipenv | pip | project | none
    start / start_command     where the start command came from and its text ("" when none)
    django                    the Django project package ("mysite") when manage.py and mysite/settings.py exist

A malformed pyproject.toml, Pipfile, uv.lock or poetry.lock is a failed
detection with `malformed` set (exit 2): UsageError naming the line and column.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from builder.errors import UsageError
from builder.lifecycle.contract import Detection, Require

from ._files import first_value_line, read_procfile

INSTALLER_FILES = (("uv.lock", "uv"), ("poetry.lock", "poetry"), ("Pipfile.lock", "pipenv"),
                   ("requirements.txt", "pip"))
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
_WSGI_APP = re.compile(r"^app\s*=", re.MULTILINE)
_FACTORY = re.compile(r"^def\s+(create_app|make_app)\s*\(\s*\)", re.MULTILINE)
_RUNS = re.compile(r"""__name__\s*==\s*['"]__main__['"]|^while\s|^(?!def\s|class\s|async\s+def\s|import\s|from\s|@)"""
                   r"""(?=[^\s#]).*?\b(?:run|serve|serve_forever|start|run_forever|run_until_complete|loop_forever|main)"""
                   r"""\s*\(""", re.MULTILINE)
"""What makes a module that defines an `app` serve when run as `python X.py`: a __main__ block, or a
top-level loop or server call. A module that defines one and does neither would exit at once."""
_REQUIREMENT_FILE = re.compile(r"^\s*(?:-r|--requirement)(?:\s+|=)(\S+)")
_INCLUDED_FILE = re.compile(r"^\s*(?:-r|--requirement|-c|--constraint)(?:\s+|=)(\S+)")
_EXTRAS = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*\[([^\]]*)\]")
SERVERS_OF_EXTRAS = {("fastapi", "standard"): "uvicorn", ("fastapi", "all"): "uvicorn",
                     ("fastapi-slim", "standard"): "uvicorn"}
"""Extras that install a server: `fastapi[standard]` brings uvicorn (FastAPI's pyproject.toml)."""
_ASGI = re.compile(r"FastAPI\(|Starlette\(|Quart\(|Litestar\(|async\s+def\s")
_PYTHON_COMMAND = re.compile(r"(^|[\s/])(python[\d.]*|gunicorn|uvicorn|hypercorn|waitress-serve)(\s|$)|\.py\b")
BIND = "0.0.0.0:${PORT:-8080}"


def normalize(name: str) -> str:
    """A distribution name as PEP 503 compares it: lower case, runs of -_. as one '-'."""
    return re.sub(r"[-_.]+", "-", name).lower()


def read_toml(path: Path) -> dict[str, Any] | None:
    """The TOML document at `path`, None when absent; a syntax error is UsageError with line and column."""
    try:
        data = path.read_bytes()
    except (FileNotFoundError, IsADirectoryError):
        return None
    try:
        return tomllib.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path.name} is not UTF-8 text (byte {exc.start})", f"save {path.name} as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path.name} is not valid TOML: {exc}",
                         f"fix the syntax of {path.name} (a missing quote or bracket is usual)") from None


def read_pipfile_lock(path: Path) -> dict[str, Any] | None:
    """Pipfile.lock (JSON), None when absent; bad JSON is UsageError."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"Pipfile.lock is not valid JSON: line {exc.lineno} column {exc.colno}: {exc.msg}",
                         "regenerate it with `pipenv lock`") from None
    if not isinstance(value, dict):
        raise UsageError("Pipfile.lock must hold a JSON object", "regenerate it with `pipenv lock`")
    return value


def is_app_pyproject(doc: Mapping[str, Any]) -> bool:
    """Whether a pyproject.toml describes something installable: a [project], a [build-system], Poetry or uv."""
    tool = doc.get("tool", {}) if isinstance(doc.get("tool"), dict) else {}
    return "project" in doc or "build-system" in doc or "poetry" in tool or "uv" in tool


def requirement_names(lines: str) -> set[str]:
    """The normalised distribution names in requirements-file text (options, URLs and -r lines skipped)."""
    names: set[str] = set()
    for line in lines.replace("\\\n", " ").splitlines():
        line = line.split(" #", 1)[0].strip()
        if not line or line.startswith(("#", "-", "http:", "https:", "git+", ".", "/")):
            continue
        match = _NAME.match(line)
        if match:
            names.add(normalize(match.group(1)))
        extras = _EXTRAS.match(line)
        if extras:
            for extra in extras.group(2).split(","):
                server = SERVERS_OF_EXTRAS.get((normalize(extras.group(1)), extra.strip().lower()))
                if server:
                    names.add(server)
    return names


def requirements_files(path: Path, *, constraints: bool = False) -> list[Path]:
    """A requirements file and every file it includes with `-r` (and, with `constraints`, `-c`), depth
    first, each once; pip's rule: relative to the including file. Missing files are left out (pip says)."""
    pattern = _INCLUDED_FILE if constraints else _REQUIREMENT_FILE
    found: list[Path] = []

    def visit(file: Path) -> None:
        file = file.resolve()
        if file in found or not file.is_file():
            return
        found.append(file)
        for line in file.read_text(encoding="utf-8-sig", errors="replace").splitlines():
            match = pattern.match(line)
            if match:
                visit(file.parent / match.group(1))

    visit(path)
    return found


def requirements_file_names(path: Path) -> set[str]:
    """requirement_names of a requirements file and of every file it includes with `-r`."""
    names: set[str] = set()
    for file in requirements_files(path):
        names |= requirement_names(file.read_text(encoding="utf-8-sig", errors="replace"))
    return names


def dependency_names(root: Path, pyproject: Mapping[str, Any] | None) -> set[str]:
    """Every distribution name the app declares or locks (for choosing gunicorn/uvicorn), normalised."""
    names: set[str] = set()
    names |= requirements_file_names(root / "requirements.txt")
    for lock in ("uv.lock", "poetry.lock"):
        doc = read_toml(root / lock)
        for package in (doc or {}).get("package", []):
            if isinstance(package, dict) and isinstance(package.get("name"), str):
                names.add(normalize(package["name"]))
    pipfile_lock = read_pipfile_lock(root / "Pipfile.lock")
    if pipfile_lock and isinstance(pipfile_lock.get("default"), dict):
        names |= {normalize(n) for n in pipfile_lock["default"]}
    project = (pyproject or {}).get("project", {})
    if isinstance(project, dict):
        names |= requirement_names("\n".join(str(d) for d in project.get("dependencies", [])))
    poetry = (pyproject or {}).get("tool", {}).get("poetry", {})
    if isinstance(poetry, dict) and isinstance(poetry.get("dependencies"), dict):
        names |= {normalize(n) for n in poetry["dependencies"]}
    pipfile = read_toml(root / "Pipfile")
    if pipfile and isinstance(pipfile.get("packages"), dict):
        names |= {normalize(n) for n in pipfile["packages"]}
    return names


def project_scripts(pyproject: Mapping[str, Any] | None) -> dict[str, str]:
    """[project.scripts] (or [tool.poetry.scripts]) as name -> "module:function"."""
    project = (pyproject or {}).get("project", {})
    scripts = project.get("scripts", {}) if isinstance(project, dict) else {}
    if not scripts:
        scripts = (pyproject or {}).get("tool", {}).get("poetry", {}).get("scripts", {})
    return {str(k): str(v) for k, v in scripts.items()} if isinstance(scripts, dict) else {}


def django_project(root: Path) -> str:
    """The Django project package (the directory holding settings.py and wsgi.py) when manage.py exists, else ""."""
    if not (root / "manage.py").is_file():
        return ""
    found = sorted(p.parent.name for p in root.glob("*/settings.py") if (p.parent / "wsgi.py").is_file())
    return found[0] if found else ""


def version_request(root: Path, pyproject: Mapping[str, Any] | None, env: Mapping[str, str]) -> tuple[str, str]:
    """(request, source) in the documented order; ("", "default") when nothing asks."""
    python_version = first_value_line(root / ".python-version") or ""
    runtime = (first_value_line(root / "runtime.txt") or "").removeprefix("python-")
    project = (pyproject or {}).get("project", {})
    requires_python = str(project.get("requires-python", "")) if isinstance(project, dict) else ""
    poetry_deps = (pyproject or {}).get("tool", {}).get("poetry", {}).get("dependencies", {})
    poetry_python = poetry_deps.get("python", "") if isinstance(poetry_deps, dict) else ""
    pipfile = read_toml(root / "Pipfile") or {}
    requires = pipfile.get("requires", {}) if isinstance(pipfile.get("requires"), dict) else {}
    pipfile_version = str(requires.get("python_full_version") or requires.get("python_version") or "")
    candidates = ((".python-version", python_version), ("runtime.txt", runtime),
                  ("pyproject.toml requires-python", requires_python),
                  ("pyproject.toml tool.poetry.dependencies python", str(poetry_python)),
                  ("Pipfile python_version", pipfile_version),
                  ("BP_CPYTHON_VERSION", env.get("BP_CPYTHON_VERSION", "").strip()))
    return next(((spec.strip(), source) for source, spec in candidates if spec.strip()), ("", "default"))


@dataclass(frozen=True)
class PythonDetector:
    """Passes on the files listed in the module docstring."""

    id: str = "python"

    def detect(self, workspace: Path, env: Mapping[str, str], app_dir: str = "") -> Detection:
        root = workspace / app_dir
        pyproject = read_toml(root / "pyproject.toml")
        found = [name for name in ("requirements.txt", "Pipfile", "Pipfile.lock", "setup.py", "uv.lock",
                                   "poetry.lock") if (root / name).is_file()]
        if pyproject is not None and is_app_pyproject(pyproject):
            found.insert(0, "pyproject.toml")
        procfile = read_procfile(root)
        if not found and any(_PYTHON_COMMAND.search(c) for c in procfile.values()) and any(root.glob("*.py")):
            found.append("a Procfile that runs Python, and *.py")
        if not found:
            why = ("no requirements.txt, pyproject.toml project, Pipfile, setup.py or lockfile "
                   "(and no Procfile that runs Python beside *.py)")
            if pyproject is not None:
                why = "pyproject.toml holds only tool settings (no [project], [build-system], Poetry or uv)"
            return Detection(self.id, False, (why,))
        requires: dict[str, str] = {}
        reasons = [f"found {', '.join(found)}"]
        requires["python"], requires["python_source"] = version_request(root, pyproject, env)
        project = (pyproject or {}).get("project", {})
        requires["requires_python"] = str(project.get("requires-python", "")) if isinstance(project, dict) else ""
        if requires["python"]:
            deprecated = " (deprecated: write the version to .python-version)" \
                if requires["python_source"] == "runtime.txt" else ""
            reasons.append(f"Python '{requires['python']}' from {requires['python_source']}{deprecated}")
        else:
            reasons.append("no Python version asked for (.python-version, requires-python…): the stack's CPython")
        requires["installer"] = _installer(root, pyproject)
        reasons.append({"none": "nothing to install (no requirements or dependencies)",
                        "project": "installs the pyproject.toml project's dependencies with pip"}.get(
            requires["installer"], f"installs with {requires['installer']}"))
        requires["django"] = django_project(root)
        reasons.append(_start(root, pyproject, procfile, requires))
        return Detection(self.id, True, tuple(reasons), provides=("python",),
                         requires=(Require("python", requires),))


def _installer(root: Path, pyproject: Mapping[str, Any] | None) -> str:
    for name, installer in INSTALLER_FILES:
        if (root / name).is_file():
            if installer == "poetry":
                read_toml(root / name)  # malformed: fail detection here, not halfway through the build
            return installer
    if (root / "Pipfile").is_file():
        raise UsageError("there is a Pipfile but no Pipfile.lock", "run `pipenv lock` and commit Pipfile.lock")
    if (pyproject is not None and ("project" in pyproject or "build-system" in pyproject)) \
            or (root / "setup.py").is_file():
        return "project"
    return "none"


def _start(root: Path, pyproject: Mapping[str, Any] | None, procfile: Mapping[str, str],
           requires: dict[str, str]) -> str:
    """Record where the start command comes from and its text; return the sentence saying so."""
    deps = dependency_names(root, pyproject)
    choices: list[tuple[str, str]] = []
    if "web" in procfile:
        choices.append(("Procfile web", procfile["web"]))
    django = requires["django"]
    modules = [m for m in ("app", "main") if (root / f"{m}.py").is_file()]
    if "gunicorn" in deps:
        if django:
            choices.append((f"Django {django}/wsgi.py (gunicorn)", f"gunicorn --bind {BIND} {django}.wsgi:application"))
        for module in modules:
            text = (root / f"{module}.py").read_text(encoding="utf-8", errors="replace")
            factory = _FACTORY.search(text)
            if _WSGI_APP.search(text) and not _ASGI.search(text):
                choices.append((f"{module}.py app (gunicorn)", f"gunicorn --bind {BIND} {module}:app"))
            elif factory and not _ASGI.search(text):  # Flask's application factory (gunicorn calls it)
                choices.append((f"{module}.py {factory.group(1)}() (gunicorn)",
                                f"gunicorn --bind {BIND} '{module}:{factory.group(1)}()'"))
    if "uvicorn" in deps:
        if django and (root / django / "asgi.py").is_file():
            choices.append((f"Django {django}/asgi.py (uvicorn)",
                            f"uvicorn --host 0.0.0.0 --port ${{PORT:-8080}} {django}.asgi:application"))
        for module in modules:
            if _WSGI_APP.search((root / f"{module}.py").read_text(encoding="utf-8", errors="replace")):
                choices.append((f"{module}.py app (uvicorn)",
                                f"uvicorn --host 0.0.0.0 --port ${{PORT:-8080}} {module}:app"))
    idle = []
    for module in ("main", "app"):
        if (root / f"{module}.py").is_file():
            text = (root / f"{module}.py").read_text(encoding="utf-8", errors="replace")
            if not _RUNS.search(text) and (_WSGI_APP.search(text) or _FACTORY.search(text)):
                idle.append(f"{module}.py")  # `python app.py` would define the app and exit: an image that never serves
            else:
                choices.append((f"{module}.py", f"python {module}.py"))
    scripts = project_scripts(pyproject)
    if len(scripts) == 1:
        name = next(iter(scripts))
        choices.append((f"pyproject.toml [project.scripts] {name}", name))
    if not choices:
        requires["start"] = requires["start_command"] = ""
        if idle:
            requires["start_problem"] = (f"{' and '.join(idle)} would define an app and exit (no __main__ block, "
                                         "no server call), and neither gunicorn nor uvicorn is a dependency")
            return f"no start command found: {requires['start_problem']}"
        return "no start command found: add a Procfile 'web:' line, a main.py or app.py, or one [project.scripts] entry"
    requires["start"], requires["start_command"] = choices[0]
    return f"starts with '{choices[0][1]}' from {choices[0][0]}"
