"""The Python detector and version rules on real files: what is an app, which Python wins and why, how it starts."""

from __future__ import annotations

from pathlib import Path

import pytest

from builder.errors import BuildError, UsageError
from buildpacks.python.versions import OFFERED, choose, series_accepts
from detectors.python import PythonDetector, requirement_names


def app(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path


def detect(tmp_path: Path, files: dict[str, str], env: dict[str, str] | None = None) -> dict[str, str]:
    found = PythonDetector().detect(app(tmp_path, files), env or {})
    assert found.passed, found.reasons
    return dict(found.metadata("python"))


@pytest.mark.parametrize(("files", "installer"), [
    ({"requirements.txt": "flask\n"}, "pip"),
    ({"pyproject.toml": '[project]\nname = "x"\nversion = "1"\n'}, "project"),
    ({"pyproject.toml": '[build-system]\nrequires = ["hatchling"]\n'}, "project"),
    ({"pyproject.toml": '[tool.poetry]\nname = "x"\n', "poetry.lock": "[metadata]\n"}, "poetry"),
    ({"pyproject.toml": '[project]\nname = "x"\n', "uv.lock": "version = 1\n"}, "uv"),
    ({"Pipfile": "[packages]\n", "Pipfile.lock": "{}"}, "pipenv"),
    ({"setup.py": "from setuptools import setup\nsetup()\n"}, "project"),
    ({"Procfile": "web: python3 serve.py\n", "serve.py": "print(1)\n"}, "none"),
])
def test_each_kind_of_python_app_is_detected_with_its_installer(tmp_path: Path, files: dict[str, str],
                                                                 installer: str) -> None:
    assert detect(tmp_path, files)["installer"] == installer


def test_an_app_with_only_a_pyproject_toml_passes_and_tool_settings_alone_do_not(tmp_path: Path) -> None:
    only = PythonDetector().detect(app(tmp_path / "a", {"pyproject.toml": '[project]\nname = "a"\n'}), {})
    assert only.passed and "found pyproject.toml" in only.reasons[0]
    tools = PythonDetector().detect(app(tmp_path / "b", {"pyproject.toml": "[tool.black]\nline-length = 99\n"}), {})
    assert not tools.passed and "only tool settings" in tools.reasons[0]
    nothing = PythonDetector().detect(app(tmp_path / "c", {"main.go": "package main\n"}), {})
    assert not nothing.passed and "no requirements.txt" in nothing.reasons[0]


def test_a_malformed_pyproject_toml_is_a_usage_error_naming_line_and_column(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"pyproject.toml is not valid TOML: .*line 2, column"):
        PythonDetector().detect(app(tmp_path, {"pyproject.toml": '[project]\nname = "x\n'}), {})


def test_a_pipfile_without_its_lock_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="Pipfile but no Pipfile.lock"):
        PythonDetector().detect(app(tmp_path, {"Pipfile": "[packages]\nflask = '*'\n"}), {})


PYPROJECT = '[project]\nname = "x"\nrequires-python = ">=3.11"\n'


@pytest.mark.parametrize(("files", "env", "version", "source"), [
    ({".python-version": "3.13\n", "runtime.txt": "python-3.11.9\n", "pyproject.toml": PYPROJECT},
     {"BP_CPYTHON_VERSION": "3.14"}, "3.13", ".python-version"),
    ({"runtime.txt": "python-3.11.9\n", "pyproject.toml": PYPROJECT}, {}, "3.11.9", "runtime.txt"),
    ({"pyproject.toml": PYPROJECT, "Pipfile": '[requires]\npython_version = "3.13"\n', "Pipfile.lock": "{}"},
     {}, ">=3.11", "pyproject.toml requires-python"),
    ({"pyproject.toml": '[tool.poetry.dependencies]\npython = "^3.11"\n', "poetry.lock": ""}, {},
     "^3.11", "pyproject.toml tool.poetry.dependencies python"),
    ({"Pipfile": '[requires]\npython_version = "3.13"\n', "Pipfile.lock": "{}"}, {"BP_CPYTHON_VERSION": "3.14"},
     "3.13", "Pipfile python_version"),
    ({"requirements.txt": "flask\n"}, {"BP_CPYTHON_VERSION": "3.14"}, "3.14", "BP_CPYTHON_VERSION"),
    ({"requirements.txt": "flask\n"}, {}, "", "default"),
])
def test_python_version_order_and_the_reason_names_the_winner(tmp_path: Path, files: dict[str, str],
                                                              env: dict[str, str], version: str, source: str) -> None:
    found = PythonDetector().detect(app(tmp_path, files), env)
    meta = found.metadata("python")
    assert (meta["python"], meta["python_source"]) == (version, source)
    assert any(source in r or (source == "default" and "stack's CPython" in r) for r in found.reasons)


@pytest.mark.parametrize(("request_", "suite", "series"), [
    ("", "trixie", "3.13"), (">=3.11", "trixie", "3.13"), ("3.11", "bookworm", "3.11"),
    ("3.11.9", "bookworm", "3.11"), ("~=3.14", "forky", "3.14"), ("==3.13.*", "trixie", "3.13"),
    (">=3.11,<3.13", "bookworm", "3.11"), ("^3.11", "trixie", "3.13"), ("!=3.13.*, >=3.12", "forky", "3.14"),
])
def test_the_suite_that_has_the_series_asked_for_is_chosen(request_: str, suite: str, series: str) -> None:
    assert choose(request_, "test", "trixie", OFFERED) == (suite, series)


def test_an_impossible_version_lists_what_debian_offers() -> None:
    with pytest.raises(BuildError, match=r"Python '2.7' \(.python-version\) is not offered by Debian: "
                                         r"trixie has 3.13, bookworm has 3.11, forky has 3.14 and 3.13"):
        choose("2.7", ".python-version", "trixie", OFFERED)
    with pytest.raises(BuildError, match="is not a version or a PEP 440 specifier"):
        series_accepts("3.13", "latest")


@pytest.mark.parametrize(("files", "start", "command"), [
    ({"requirements.txt": "flask\ngunicorn==23\n", "app.py": "app = Flask(__name__)\n",
      "Procfile": "web: gunicorn -w 2 app:app\n"}, "Procfile web", "gunicorn -w 2 app:app"),
    ({"requirements.txt": "Django>=5\ngunicorn\n", "manage.py": "", "mysite/settings.py": "", "mysite/wsgi.py": ""},
     "Django mysite/wsgi.py (gunicorn)", "gunicorn --bind 0.0.0.0:${PORT:-8080} mysite.wsgi:application"),
    ({"requirements.txt": "flask\ngunicorn\n", "app.py": "app = Flask(__name__)\n"},
     "app.py app (gunicorn)", "gunicorn --bind 0.0.0.0:${PORT:-8080} app:app"),
    ({"requirements.txt": "fastapi\nuvicorn[standard]\ngunicorn\n", "main.py": "app = FastAPI()\n"},
     "main.py app (uvicorn)", "uvicorn --host 0.0.0.0 --port ${PORT:-8080} main:app"),
    ({"requirements.txt": "flask\n", "app.py": "app = Flask(__name__)\n"}, "", ""),  # would define app and exit
    ({"requirements.txt": "flask\n", "app.py": "app = Flask(__name__)\nif __name__ == '__main__':\n    app.run()\n"},
     "app.py", "python app.py"),
    ({"requirements.txt": "bottle\n", "main.py": "from bottle import run\nrun(port=8080)\n"}, "main.py", "python main.py"),
    ({"requirements.txt": "", "app.py": "import http.server, os\nhttp.server.ThreadingHTTPServer(('', 8080), "
      "http.server.SimpleHTTPRequestHandler).serve_forever()\n"}, "app.py", "python app.py"),
    ({"requirements.txt": "", "main.py": "import asyncio\nasync def main():\n    pass\nasyncio.run(main())\n"},
     "main.py", "python main.py"),
    ({"requirements.txt": "", "main.py": "app = object()\ndef main():\n    pass\nclass run:\n    pass\n"}, "", ""),
    ({"requirements.txt": "six\n", "app.py": "import six\nprint(six.__version__)\n"},  # a job: it runs and ends
     "app.py", "python app.py"),
    ({"requirements.txt": "flask==3.1\r\ngunicorn==23\r\n", "app.py": "def create_app():\n    return Flask(__name__)\n"},
     "app.py create_app() (gunicorn)", "gunicorn --bind 0.0.0.0:${PORT:-8080} 'app:create_app()'"),
    ({"requirements.txt": "# web\r\nfastapi==0.115.6  # the framework\r\n-r other.txt\r\n", "other.txt": "uvicorn==0.32\n",
      "main.py": "app = FastAPI()\n"}, "main.py app (uvicorn)", "uvicorn --host 0.0.0.0 --port ${PORT:-8080} main:app"),
    ({"requirements.txt": "-r requirements/prod.txt\n", "requirements/prod.txt": "-r base.txt\nuvicorn\n",
      "requirements/base.txt": "-r prod.txt\nfastapi\n", "main.py": "app = FastAPI()\n"},  # nested and circular
     "main.py app (uvicorn)", "uvicorn --host 0.0.0.0 --port ${PORT:-8080} main:app"),
    ({"requirements.txt": "fastapi[standard]==0.115.6\n", "main.py": "app = FastAPI()\n"},
     "main.py app (uvicorn)", "uvicorn --host 0.0.0.0 --port ${PORT:-8080} main:app"),
    ({"pyproject.toml": '[project]\nname = "t"\n[project.scripts]\ntool = "t.cli:main"\n'},
     "pyproject.toml [project.scripts] tool", "tool"),
    ({"pyproject.toml": '[project]\nname = "t"\n[project.scripts]\na = "t:a"\nb = "t:b"\n'}, "", ""),
])
def test_start_command(tmp_path: Path, files: dict[str, str], start: str, command: str) -> None:
    meta = detect(tmp_path, files)
    assert (meta["start"], meta["start_command"]) == (start, command)


def test_requirement_names_skip_options_hashes_and_urls() -> None:
    text = ("--index-url https://x/simple\n-r base.txt\nFlask==3.1 \\\n    --hash=sha256:ab\n"
            "uvicorn[standard]>=0.30 ; python_version>'3'\ngit+https://h/x.git\n# comment\nZope.Interface\n")
    assert requirement_names(text) == {"flask", "uvicorn", "zope-interface"}


def test_a_procfile_passes_only_when_it_runs_python(tmp_path: Path) -> None:
    runs = PythonDetector().detect(app(tmp_path / "a", {"Procfile": "web: python3 -m http.server $PORT\n",
                                                         "tool.py": ""}), {})
    assert runs.passed and "a Procfile that runs Python" in runs.reasons[0]
    node = PythonDetector().detect(app(tmp_path / "b", {"Procfile": "web: node server.js\n", "gen.py": ""}), {})
    assert not node.passed
