"""How a Python app starts, on real files: the app object whatever its name, the usual layouts, and the
no-start-command answer (one clause + a hint that never asks for a server already there)."""

from __future__ import annotations

from pathlib import Path

import pytest

from detectors._pyapp import scan
from detectors.python import PythonDetector

FLASK = "flask==3.1.2\ngunicorn==23.0.0\n"
FASTAPI = "fastapi==0.115.6\nuvicorn==0.32.1\n"
GUNICORN = "gunicorn --bind 0.0.0.0:${PORT:-8080} "
UVICORN = "uvicorn --host 0.0.0.0 --port ${PORT:-8080} "


def detect(tmp_path: Path, files: dict[str, str]) -> dict[str, str]:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    found = PythonDetector().detect(tmp_path, {})
    assert found.passed, found.reasons
    meta = dict(found.metadata("python"))
    assert any(r.startswith(("starts with", "no start command found")) for r in found.reasons)
    return meta


@pytest.mark.parametrize(("files", "start", "command"), [
    # bug 7: the WSGI/ASGI object whatever its name
    ({"requirements.txt": FLASK, "app.py": "from flask import Flask\napplication = Flask(__name__)\n"},
     "app.py application (gunicorn)", GUNICORN + "app:application"),
    ({"requirements.txt": FASTAPI, "main.py": "from fastapi import FastAPI\napi = FastAPI()\n"
                                              "@api.get('/')\ndef r():\n    return {}\n"},
     "main.py api (uvicorn)", UVICORN + "main:api"),
    ({"requirements.txt": "starlette\nuvicorn\n", "main.py": "import starlette.applications as s\n"
                                                             "server = s.Starlette(routes=[])\n"},
     "main.py server (uvicorn)", UVICORN + "main:server"),
    ({"requirements.txt": FLASK, "app.py": "import flask\nweb: flask.Flask = flask.Flask(__name__)\n"},
     "app.py web (gunicorn)", GUNICORN + "app:web"),
    ({"requirements.txt": FLASK, "main.py": "from flask import Flask\napp = Flask(__name__)\napplication = app\n"},
     "main.py app (gunicorn)", GUNICORN + "main:app"),
    ({"requirements.txt": "django\ngunicorn\n", "application.py": "import os\nfrom django.core.wsgi import "
      "get_wsgi_application\nos.environ['DJANGO_SETTINGS_MODULE'] = 'conf'\nsite = get_wsgi_application()\n"},
     "application.py site (gunicorn)", GUNICORN + "application:site"),
    # a Flask app with async views is still WSGI; an ASGI app goes to uvicorn even when gunicorn is there too
    ({"requirements.txt": FLASK, "app.py": "from flask import Flask\napp = Flask(__name__)\n"
                                           "@app.get('/')\nasync def i():\n    return 'x'\n"},
     "app.py app (gunicorn)", GUNICORN + "app:app"),
    ({"requirements.txt": FLASK + FASTAPI, "main.py": "from fastapi import FastAPI\nsvc = FastAPI()\n"},
     "main.py svc (uvicorn)", UVICORN + "main:svc"),
    # bug 9: FastAPI's bigger-applications layout, a root wsgi.py / asgi.py, a factory in a package
    ({"requirements.txt": "fastapi==0.115.0\nuvicorn[standard]==0.30.6\n", "app/__init__.py": "",
      "app/main.py": "from fastapi import FastAPI\napp = FastAPI()\n"}, "app/main.py app (uvicorn)",
     UVICORN + "app.main:app"),
    ({"requirements.txt": FLASK, "wsgi.py": "from flask import Flask\napp = Flask(__name__)\n"},
     "wsgi.py app (gunicorn)", GUNICORN + "wsgi:app"),
    ({"requirements.txt": FLASK, "myapp/__init__.py": "from flask import Flask\ndef create_app():\n"
      "    return Flask(__name__)\n", "wsgi.py": "from myapp import create_app\napp = create_app()\n"},
     "wsgi.py app (gunicorn)", GUNICORN + "wsgi:app"),
    ({"requirements.txt": FLASK, "web.py": "from flask import Flask\napp = Flask(__name__)\n",
      "wsgi.py": "from web import app as application\n"}, "wsgi.py application (gunicorn)",
     GUNICORN + "wsgi:application"),
    ({"requirements.txt": FASTAPI, "asgi.py": "from service.api import app\n"}, "asgi.py app (uvicorn)",
     UVICORN + "asgi:app"),
    ({"requirements.txt": FLASK, "wsgi.py": "from myapp import create_app\napp = create_app()\n",
      "app.py": "from flask import Flask\napp = Flask(__name__)\n"}, "wsgi.py app (gunicorn)", GUNICORN + "wsgi:app"),
    # factories: gunicorn calls 'mod:create_app()', uvicorn takes --factory
    ({"requirements.txt": FASTAPI, "main.py": "from fastapi import FastAPI\ndef create_app(debug=False):\n"
                                              "    return FastAPI(debug=debug)\n"},
     "main.py create_app() (uvicorn)", "uvicorn --factory --host 0.0.0.0 --port ${PORT:-8080} main:create_app"),
    ({"requirements.txt": FASTAPI + "gunicorn\n", "main.py": "from factory import make_app\napp = make_app()\n"},
     "main.py app (uvicorn)", UVICORN + "main:app"),  # the dependencies say FastAPI: ASGI, not gunicorn's sync worker
    # a source this Python cannot parse (3.12 syntax) is read by lines
    ({"requirements.txt": FLASK, "app.py": "from flask import Flask\ntype Json = dict[str, object]\n"
                                           "app = Flask(__name__)\n"}, "app.py app (gunicorn)", GUNICORN + "app:app"),
    # python X.py only for a file that serves when run, or defines no app
    ({"requirements.txt": "flask\n", "app.py": "from flask import Flask\napplication = Flask(__name__)\n"
      "with open('/dev/null'):\n    application.run(port=8080)\n"}, "app.py", "python app.py"),
    ({"requirements.txt": "aiohttp\n", "main.py": "from aiohttp import web\napp = web.Application()\n"
      "web.run_app(app)\n"}, "main.py", "python main.py"),
])
def test_the_app_object_and_its_server(tmp_path: Path, files: dict[str, str], start: str, command: str) -> None:
    meta = detect(tmp_path, files)
    assert (meta["start"], meta["start_command"]) == (start, command), meta.get("start_problem")


IDLE = "would define an app and exit (no __main__ block, no server call): "


@pytest.mark.parametrize(("files", "problem", "hint"), [
    # bug 7's promise: an app object that is neither served nor run is no `python X.py`
    ({"requirements.txt": "flask\n", "app.py": "from flask import Flask\napplication = Flask(__name__)\n"},
     "app.py " + IDLE + "app.py's WSGI app 'application' (Flask(…)) needs gunicorn, which is not a dependency",
     "add gunicorn"),
    ({"requirements.txt": "fastapi\ngunicorn\n", "main.py": "from fastapi import FastAPI\napi = FastAPI()\n"},
     "main.py " + IDLE + "main.py's ASGI app 'api' (FastAPI(…)) needs uvicorn, which is not a dependency",
     "add uvicorn"),
    ({"requirements.txt": "flask\n", "app.py": "from flask import Flask\ndef create_app():\n"
                                               "    return Flask(__name__)\n"},
     "app.py " + IDLE + "app.py's app factory create_app() needs gunicorn, which is not a dependency", "add gunicorn"),
    ({"requirements.txt": "flask\n", "wsgi.py": "from web import app\n"},
     "wsgi.py " + IDLE + "wsgi.py's WSGI app 'app' needs gunicorn, which is not a dependency", "add gunicorn"),
    ({"requirements.txt": "", "app.py": "app = object()\n", "main.py": "from fastapi import FastAPI\n"
      "def make_app():\n    return FastAPI()\n"},
     "app.py and main.py " + IDLE + "app.py's app 'app' needs a server, gunicorn (WSGI) or uvicorn (ASGI), and "
     "neither is a dependency; main.py's app factory make_app() needs uvicorn, which is not a dependency",
     "add uvicorn to the dependencies"),
    ({"requirements.txt": "", "app.py": "application = make()\n"}, "app.py " + IDLE + "app.py's app 'application' "
     "needs a server, gunicorn (WSGI) or uvicorn (ASGI), and neither is a dependency",
     "add gunicorn (WSGI) or uvicorn (ASGI) to the dependencies"),
])
def test_an_app_no_server_can_start_is_a_problem_named_at_detect(tmp_path: Path, files: dict[str, str],
                                                                 problem: str, hint: str) -> None:
    meta = detect(tmp_path, files)
    assert meta["start_command"] == ""
    assert meta["start_problem"] == problem
    assert meta["start_hint"].startswith(hint)


@pytest.mark.parametrize("requirements", ["flask\ngunicorn\n", "fastapi[standard]\n", "gunicorn\nuvicorn\n"])
def test_with_a_server_but_no_app_object_the_hint_says_what_was_looked_for_not_add_a_server(
        tmp_path: Path, requirements: str) -> None:
    meta = detect(tmp_path, {"requirements.txt": requirements, "src/service/web.py": "app = object()\n"})
    assert meta["start_command"] == ""
    assert "but no app object was found" in meta["start_problem"]
    assert meta["start_hint"].startswith("dockless looked for a Procfile 'web:' line, Django's <project>/wsgi.py")
    assert "app/main.py" in meta["start_hint"] and "Procfile" in meta["start_hint"]
    assert "add gunicorn" not in meta["start_hint"] and "add uvicorn" not in meta["start_hint"]


def test_nothing_to_start_and_two_project_scripts_say_so(tmp_path: Path) -> None:
    meta = detect(tmp_path, {"pyproject.toml": '[project]\nname = "t"\n[project.scripts]\na = "t:a"\nb = "t:b"\n'})
    assert meta["start_problem"] == ("no Procfile 'web:' line, no app object, no main.py or app.py to run; "
                                     "[project.scripts] has 2 entries (a, b)")
    assert meta["start_hint"].startswith("add a Procfile 'web:' line, gunicorn (WSGI: Flask, Django) or uvicorn")


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be", "utf-8-sig", "utf-32"])
def test_a_requirements_file_with_a_byte_order_mark_is_read_as_pip_reads_it(tmp_path: Path, codec: str) -> None:
    """Bug 10: PowerShell's `pip freeze > requirements.txt` writes UTF-16 with a BOM; pip sniffs BOMs."""
    (tmp_path / "app.py").write_text("from flask import Flask\napp = Flask(__name__)\n")
    bom = "\ufeff" if codec == "utf-16-be" else ""  # the other codecs write their mark themselves
    (tmp_path / "requirements.txt").write_bytes(f"{bom}flask==3.0.3\r\n-r more.txt\r\n".encode(codec))
    (tmp_path / "more.txt").write_bytes(f"{bom}gunicorn==22.0.0\r\n".encode(codec))
    meta = PythonDetector().detect(tmp_path, {}).metadata("python")
    assert meta["start_command"] == GUNICORN + "app:app"


def test_the_scan_never_imports_the_module(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("raise SystemExit('imported!')\napp = Flask(__name__)\n")
    found = scan(tmp_path / "app.py")
    assert found is not None and found.app() is not None and found.app().name == "app"  # type: ignore[union-attr]
    assert scan(tmp_path / "absent.py") is None
