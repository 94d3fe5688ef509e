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
                    > Pipfile [requires] python_version > BP_CPYTHON_VERSION (Paketo's) > the stack's.
                    .python-version may say `python-3.13` (runtime.txt's spelling) or `cpython@3.13` (uv's)
                    for 3.13, and `system` (pyenv's default) for no version: the next source decides
    installer       uv.lock (uv) > poetry.lock (poetry) > Pipfile.lock (pipenv) > requirements.txt (pip)
                    > a pyproject/setup.py project (pip install .) > none
    start command   Procfile web > Django <project>/wsgi.py (gunicorn) / asgi.py (uvicorn) > the app object
                    in wsgi.py, asgi.py, app.py, main.py, application.py, api.py, app/main.py, app/app.py,
                    app/api.py, whatever its name (gunicorn for WSGI, uvicorn for ASGI, when a dependency)
                    > python main.py / app.py (not when it defines an app it never runs)
                    > the one [project.scripts] entry; `_pystart` has the rules and where they come from

requirements.txt is read as pip reads it: UTF-8, or UTF-16/UTF-32 by its byte
order mark, with the files it includes (`-r`). An include, constraint or path
requirement that leads outside the directory being built (`-r ../../base.txt`
in a `--subdir`) is SourceError (exit 3) at detect: it cannot build alone.

It provides `python` and requires it with these metadata (all strings):

    python / python_source    the version request as written (">=3.11", "3.13") and where it came from
    installer                 uv | poetry | pipenv | pip | project | none
    start / start_command     where the start command came from and its text ("" when none)
    start_problem / start_hint  when there is none: why, in one clause, and what to add (the build stops
                              on them before installing anything)
    django                    the Django project package ("mysite") when manage.py and mysite/settings.py exist

A malformed pyproject.toml, Pipfile, uv.lock or poetry.lock is a failed
detection with `malformed` set (exit 2): UsageError naming the line and column.
"""

from __future__ import annotations

import codecs
import json
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from builder.errors import SourceError, UsageError
from builder.lifecycle.contract import Detection, Require

from ._files import first_value_line, read_procfile
from ._pystart import choose_start

INSTALLER_FILES = (("uv.lock", "uv"), ("poetry.lock", "poetry"), ("Pipfile.lock", "pipenv"),
                   ("requirements.txt", "pip"))
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
_REQUIREMENT_FILE = re.compile(r"^\s*(?:-r|--requirement)(?:\s+|=)(\S+)")
_INCLUDED_FILE = re.compile(r"^\s*(?:-r|--requirement|-c|--constraint)(?:\s+|=)(\S+)")
_PATH_REQUIREMENT = re.compile(r"^\s*(?:(?:-e|--editable)(?:\s+|=))?(?:file:)?(\.\.(?:/[^\s;\[#]*)?)")
"""A requirement given as a relative path that climbs out of its directory: `../lib`, `-e ../lib[x]`."""
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"), (codecs.BOM_UTF8, "utf-8"),
         (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
"""pip's order: the UTF-32 marks first, since UTF-32-LE's starts with UTF-16-LE's."""
_EXTRAS = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*\[([^\]]*)\]")
SERVERS_OF_EXTRAS = {("fastapi", "standard"): "uvicorn", ("fastapi", "all"): "uvicorn",
                     ("fastapi-slim", "standard"): "uvicorn"}
"""Extras that install a server: `fastapi[standard]` brings uvicorn (FastAPI's pyproject.toml)."""
_PYTHON_COMMAND = re.compile(r"(^|[\s/])(python[\d.]*|gunicorn|uvicorn|hypercorn|waitress-serve)(\s|$)|\.py\b")
_VERSION_SPELLING = re.compile(r"^(?:c?python)[-@]?(\d+(?:\.\d+)*)(?:-[a-z0-9_]+)*$", re.IGNORECASE)
"""`python-3.13`, `cpython-3.13.1-linux-x86_64-gnu`, `cpython@3.13`, `python3.13`: the version in them."""


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


def read_requirements(path: Path) -> str:
    """The text of a requirements file decoded as pip decodes it: by its byte order mark (UTF-8, UTF-16 or
    UTF-32, as PowerShell's `pip freeze > requirements.txt` writes UTF-16), else as UTF-8 with undecodable
    bytes replaced (pip's `auto_decode`). CRLF line ends are left to `splitlines`."""
    data = path.read_bytes()
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return data[len(bom):].decode(codec, errors="replace")
    return data.decode("utf-8", errors="replace")


def _includes(file: Path, pattern: re.Pattern[str]) -> list[tuple[int, str]]:
    """(line number, path as written) of every include `pattern` matches in the requirements file `file`."""
    found = []
    for number, line in enumerate(read_requirements(file).splitlines(), 1):
        match = pattern.match(line)
        if match:
            found.append((number, match.group(1)))
    return found


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
        for _, included in _includes(file, pattern):
            visit(file.parent / included)

    visit(path)
    return found


def outside_reference(path: Path, boundary: Path) -> str:
    """The first include (`-r`, `-c`) or local path requirement (`../lib`, `-e ../lib`) of the requirements
    file `path`, or of a file it includes, that leads outside `boundary` (the directory being built), as
    "requirements.txt line 1: -r ../../base.txt"; "" when none does. Such a path is not in the image's
    source: a `--subdir` copies only its own tree, so pip would fail on it halfway through the build."""
    top = boundary.resolve()
    for file in requirements_files(path, constraints=True):
        where = file.relative_to(top) if file.is_relative_to(top) else file.name
        for number, line in enumerate(read_requirements(file).splitlines(), 1):
            # pip: an include is relative to the including file, a path requirement to pip's directory
            for pattern, base in ((_INCLUDED_FILE, file.parent), (_PATH_REQUIREMENT, path.parent)):
                match = pattern.match(line)
                if match and not (base / match.group(1)).resolve().is_relative_to(top):
                    return f"{where} line {number}: {line.strip()}"
    return ""


def requirements_file_names(path: Path) -> set[str]:
    """requirement_names of a requirements file and of every file it includes with `-r`."""
    names: set[str] = set()
    for file in requirements_files(path):
        names |= requirement_names(read_requirements(file))
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


def python_version_file(root: Path) -> tuple[str, str]:
    """(request, note) from `.python-version`: pyenv's and uv's file, in the spellings users write there.

    `3.13`, `3.13.1` as they are; `python-3.13` (runtime.txt's spelling), `cpython-3.13.1-linux-x86_64-gnu`
    and `cpython@3.13` (uv's request forms) as their version; `system` (pyenv's word for "the Python
    already there") as no request, with a note saying so, so that the next source in the order (or the
    stack's CPython) decides. Anything else is returned as written, for `versions.choose` to refuse.
    """
    value = first_value_line(root / ".python-version") or ""
    if value.lower() == "system":
        return "", ".python-version says 'system' (pyenv's word for the default Python): it asks for no version"
    spelled = _VERSION_SPELLING.match(value)
    return (spelled.group(1) if spelled else value), ""


def version_request(root: Path, pyproject: Mapping[str, Any] | None, env: Mapping[str, str]) -> tuple[str, str]:
    """(request, source) in the documented order; ("", "default") when nothing asks."""
    python_version, _ = python_version_file(root)
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
        outside = outside_reference(root / "requirements.txt", workspace) if "requirements.txt" in found else ""
        if outside:
            raise SourceError(f"{outside} reaches outside the directory being built: a --subdir must build alone",
                              "copy what it needs into that directory (or inline those requirements), or build "
                              "from the repository root with a Procfile that starts this app")
        requires: dict[str, str] = {}
        reasons = [f"found {', '.join(found)}"]
        requires["python"], requires["python_source"] = version_request(root, pyproject, env)
        project = (pyproject or {}).get("project", {})
        requires["requires_python"] = str(project.get("requires-python", "")) if isinstance(project, dict) else ""
        _, note = python_version_file(root)
        if note:
            reasons.append(note)
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
    """Record where the start command comes from and its text (`_pystart`), or why there is none
    (`start_problem`, `start_hint`: the build stops on them before installing anything); return the
    sentence saying so."""
    found = choose_start(root, dependency_names(root, pyproject), procfile, requires["django"],
                         tuple(project_scripts(pyproject)))
    requires["start"], requires["start_command"] = found.source, found.command
    if not found.command:
        requires["start_problem"], requires["start_hint"] = found.problem, found.hint
        return f"no start command found: {found.problem}"
    return f"starts with '{found.command}' from {found.source}"
