"""How a Python app starts when nothing else says: the first of these that applies.

    1  Procfile `web`                          the user's own word (Heroku's and Paketo's rule)
    2  Django: <project>/wsgi.py + gunicorn    gunicorn --bind 0.0.0.0:$PORT <project>.wsgi:application
               <project>/asgi.py + uvicorn     uvicorn --host 0.0.0.0 --port $PORT <project>.asgi:application
    3  an app object (`detectors._pyapp`) in the first of these modules that has one a server can start:
           wsgi.py, asgi.py, app.py, main.py, application.py, api.py, app/main.py, app/app.py, app/api.py
       a WSGI app with gunicorn               gunicorn --bind 0.0.0.0:$PORT module:name ('module:create_app()')
       an ASGI app with uvicorn               uvicorn --host 0.0.0.0 --port $PORT module:name (--factory)
    4  python main.py / python app.py         when that file serves when run (a __main__ block, a server
                                              call) or is a plain script; never when it defines an app
                                              object it does not run: it would exit at once
    5  the one [project.scripts] entry        (two or more: the Procfile must say which)

Where the module order comes from: a root `wsgi.py` / `asgi.py` exists to expose
the app to a server (gunicorn's `wsgi:application`, Django's and Azure App
Service's convention); `app.py` / `main.py` are Azure App Service's and Google
App Engine's defaults (`gunicorn main:app`); `application.py` is Elastic
Beanstalk's and Azure's; `main.py, app.py, api.py, app/main.py, app/app.py,
app/api.py` is FastAPI CLI's search (FastAPI's "bigger applications" layout is
`uvicorn app.main:app`). Heroku's Python buildpack starts nothing without a
Procfile and Paketo's starts a REPL, so neither decides here.

An app object's kind decides its server: Flask, Bottle, Falcon, Django's
get_wsgi_application are WSGI (gunicorn); FastAPI, Starlette, Quart, Litestar,
get_asgi_application are ASGI (uvicorn). One made by a factory or imported is
of the kind its module says (wsgi.py / asgi.py, then the framework the module
imports), else of the kind of web framework among the dependencies, else of
the server that is there (gunicorn first); with none of these, of no kind.

An app object that no server among the dependencies can start, in a file that
does not run it, makes no start command: the problem names the file, the app
and the server it needs ("app.py would define an app and exit (…): app.py's
WSGI app 'application' (Flask(…)) needs gunicorn, which is not a dependency").
With a server there and no app object, the hint says what was looked for.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ._pyapp import ModuleScan, scan

MODULES = ("wsgi.py", "asgi.py", "app.py", "main.py", "application.py", "api.py",
           "app/main.py", "app/app.py", "app/api.py")
SCRIPTS = ("main.py", "app.py")
"""Files started with `python X.py` (step 4), in this order."""
ASGI_FRAMEWORKS = frozenset({"fastapi", "starlette", "quart", "litestar"})
WSGI_FRAMEWORKS = frozenset({"flask", "django", "bottle", "falcon", "pyramid"})
BIND = "0.0.0.0:${PORT:-8080}"
SERVERS = {"wsgi": "gunicorn", "asgi": "uvicorn"}
LOOKED_FOR = ("a Procfile 'web:' line, Django's <project>/wsgi.py, an app object (app, api, application, or any "
              "name bound to Flask(…), FastAPI(…), Starlette(…), get_wsgi_application(), create_app()…) or a "
              f"create_app() factory in {', '.join(MODULES)}, and a main.py or app.py that serves when run")


@dataclass(frozen=True)
class Start:
    """The start command chosen, where it came from, or why there is none and what to do.

    `source` and `command` are "" when none was found; `problem` then says why in one
    clause and `hint` what to add (never a server that is already a dependency).
    """

    source: str = ""
    command: str = ""
    problem: str = ""
    hint: str = ""


def gunicorn(target: str) -> str:
    return f"gunicorn --bind {BIND} {target}"


def uvicorn(target: str, *, factory: bool = False) -> str:
    return f"uvicorn {'--factory ' if factory else ''}--host 0.0.0.0 --port ${{PORT:-8080}} {target}"


def choose_start(root: Path, deps: frozenset[str] | set[str], procfile: Mapping[str, str], django: str,
                 scripts: Sequence[str]) -> Start:
    """The start command of the app at `root` (see the module docstring for the order).

    `deps` are its normalised dependency names, `django` the Django project package ("" when none),
    `scripts` its [project.scripts] names.
    """
    if "web" in procfile:
        return Start("Procfile web", procfile["web"])
    servers = [s for s in ("gunicorn", "uvicorn") if s in deps]
    if django and "gunicorn" in servers:
        return Start(f"Django {django}/wsgi.py (gunicorn)", gunicorn(f"{django}.wsgi:application"))
    if django and "uvicorn" in servers and (root / django / "asgi.py").is_file():
        return Start(f"Django {django}/asgi.py (uvicorn)", uvicorn(f"{django}.asgi:application"))
    scans = {name: found for name in MODULES if (found := scan(root / name)) is not None}
    unserved: list[tuple[str, str, str]] = []  # (file, clause, server it needs) for apps nothing can start
    for name, found in scans.items():
        start, missing = _served(name, found, deps)
        if start:
            return start
        if missing and not (name in SCRIPTS and found.runs):
            unserved.append((name, *missing))
    for name in SCRIPTS:
        found = scans.get(name)
        if found is not None and (found.runs or (found.app() is None and not found.factories)):
            return Start(name, f"python {name}")
    if len(scripts) == 1:
        return Start(f"pyproject.toml [project.scripts] {scripts[0]}", scripts[0])
    return _nothing(unserved, servers, scripts)


def _served(name: str, found: ModuleScan, deps: frozenset[str] | set[str]) -> tuple[Start | None, tuple[str, str]]:
    """The server command for the module's app object (else its factory), or None and, when the module has
    one that no server among `deps` can start, (the clause saying so, the server it needs)."""
    module = name.removesuffix(".py").replace("/", ".")
    app = found.app(imported=name in ("wsgi.py", "asgi.py"))
    if app is not None:
        kind = app.kind or _kind(name, found, deps)
        server = SERVERS.get(kind, "")
        if server in deps:
            target = f"{module}:{app.name}"
            return Start(f"{name} {app.name} ({server})",
                         gunicorn(target) if server == "gunicorn" else uvicorn(target)), ("", "")
        made = f" ({app.via})" if app.via not in ("assignment", "import") else ""
        what = f"{name}'s {kind.upper() + ' ' if kind else ''}app '{app.name}'{made}"
        return None, _needs(what, server)
    for factory in found.factories:
        kind = _kind(name, found, deps)
        server = SERVERS.get(kind, "")
        if server in deps:
            return Start(f"{name} {factory}() ({server})", gunicorn(f"'{module}:{factory}()'")
                         if server == "gunicorn" else uvicorn(f"{module}:{factory}", factory=True)), ("", "")
        return None, _needs(f"{name}'s app factory {factory}()", server)
    return None, ("", "")


def _needs(what: str, server: str) -> tuple[str, str]:
    """(clause, server) for an app that `server` ("" when its kind is unknown) would start but is not there."""
    if server:
        return f"{what} needs {server}, which is not a dependency", server
    return f"{what} needs a server, gunicorn (WSGI) or uvicorn (ASGI), and neither is a dependency", \
        "gunicorn or uvicorn"


def _kind(name: str, found: ModuleScan, deps: frozenset[str] | set[str]) -> str:
    """The kind ("wsgi" | "asgi") of an app object whose call does not say (see the module docstring);
    "" when nothing says."""
    if name in ("wsgi.py", "asgi.py"):
        return name[:4]
    if found.imports:
        return found.imports
    asgi, wsgi = bool(deps & ASGI_FRAMEWORKS), bool(deps & WSGI_FRAMEWORKS)
    if asgi != wsgi:
        return "asgi" if asgi else "wsgi"
    return "wsgi" if "gunicorn" in deps else "asgi" if "uvicorn" in deps else ""


def _nothing(unserved: Sequence[tuple[str, str, str]], servers: Sequence[str], scripts: Sequence[str]) -> Start:
    """No start command: the problem in one clause, and a hint that never asks for a server already there."""
    many = f"; [project.scripts] has {len(scripts)} entries ({', '.join(scripts)})" if len(scripts) > 1 else ""
    if unserved:
        files = " and ".join(dict.fromkeys(name for name, _, _ in unserved))
        known = sorted({server for _, _, server in unserved if " " not in server})
        missing = " and ".join(known) or "gunicorn (WSGI) or uvicorn (ASGI)"
        return Start(problem=f"{files} would define an app and exit (no __main__ block, no server call): "
                             f"{'; '.join(clause for _, clause, _ in unserved)}{many}",
                     hint=f"add {missing} to the dependencies, run the app in an `if __name__ == '__main__':` "
                          "block, or add a Procfile 'web:' line")
    if servers:
        them = "it" if len(servers) == 1 else "them"
        example = "gunicorn --bind 0.0.0.0:$PORT" if servers[0] == "gunicorn" else \
            "uvicorn --host 0.0.0.0 --port $PORT"
        return Start(problem=f"{' and '.join(servers)} {'is a dependency' if len(servers) == 1 else 'are dependencies'}"
                             f", but no app object was found for {them} to start{many}",
                     hint=f"dockless looked for {LOOKED_FOR}; name your app in a Procfile, e.g. "
                          f"'web: {example} mypackage.web:app'")
    return Start(problem=f"no Procfile 'web:' line, no app object, no main.py or app.py to run{many}",
                 hint="add a Procfile 'web:' line, gunicorn (WSGI: Flask, Django) or uvicorn (ASGI: FastAPI, "
                      "Starlette) with an app object in app.py or main.py, a main.py that serves, or one "
                      "[project.scripts] entry")
