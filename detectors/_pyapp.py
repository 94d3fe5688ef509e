"""What a Python module holds at its top level: its app objects, its factories, and whether it serves when run.

A WSGI server (gunicorn) or an ASGI server (uvicorn) starts `module:name`, and
`python X.py` serves only if the module runs something; this reads the module
with `ast` (never importing it, so nothing of the app runs at detect):

    apps        top-level names bound to an app object, tried in this order: `app` and `api`
                (FastAPI CLI's names), `application` (gunicorn's default name, Django's and
                Elastic Beanstalk's), then any other name in source order. A name counts when
                bound to a call of
                    Flask, Bottle, falcon.App / falcon.API, get_wsgi_application,
                    make_wsgi_app (Pyramid)                                      -> kind "wsgi"
                    FastAPI, Starlette, Quart, Litestar, get_asgi_application     -> kind "asgi"
                    create_app / make_app (an application factory's result)      -> kind ""
                and `app` / `application` bound to anything else (kind "", or the kind of the app
                object they alias: `application = app`). Names imported at the top level
                (`from main import app`) are listed with via="import": a `wsgi.py` exists to
                expose such a name (gunicorn's and Django's convention), any other module may
                import `app` for its own use.
    factories   top-level `def create_app()` / `def make_app()` callable with no argument (Flask's
                application factory: gunicorn calls `'mod:create_app()'`, uvicorn `--factory`)
    runs        a `__main__` block, a top-level loop, or a call of run / serve / serve_forever / start /
                run_forever / run_until_complete / loop_forever / run_app / run_simple / main in a
                top-level statement (also inside a top-level with / try / if): what keeps
                `python X.py` serving. A module with an app object that does none of these defines
                the app and exits.
    imports     "asgi" | "wsgi" | "": the kind of the web frameworks the module imports (fastapi,
                starlette, quart, litestar -> asgi; flask, django, bottle, falcon, pyramid -> wsgi)

A source this Python cannot parse (syntax newer than the builder's) is read
with line patterns instead: `app = …` / `application = …`, the factories,
`__main__` and the same server calls at the start of a line.
"""

from __future__ import annotations

import ast
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

WSGI_CALLS = frozenset({"Flask", "Bottle", "App", "API", "get_wsgi_application", "make_wsgi_app"})
ASGI_CALLS = frozenset({"FastAPI", "Starlette", "Quart", "Litestar", "get_asgi_application"})
FACTORY_NAMES = ("create_app", "make_app")
CONVENTIONAL = ("app", "api", "application")
"""Names tried first, in this order (FastAPI CLI tries `app` then `api`; gunicorn's default is `application`)."""
RUN_CALLS = frozenset({"run", "serve", "serve_forever", "start", "run_forever", "run_until_complete",
                       "loop_forever", "run_app", "run_simple", "main"})
ASGI_MODULES = frozenset({"fastapi", "starlette", "quart", "litestar"})
WSGI_MODULES = frozenset({"flask", "django", "bottle", "falcon", "pyramid"})

_LINE_APP = re.compile(r"^(app|application)\s*(?::[^=\n]*)?=(?!=)", re.MULTILINE)
_LINE_FACTORY = re.compile(r"^def\s+(create_app|make_app)\s*\(\s*\)", re.MULTILINE)
_LINE_RUNS = re.compile(r"""__name__\s*==\s*['"]__main__['"]|^while\s|^(?!def\s|class\s|async\s+def\s|import\s|"""
                        r"""from\s|@)(?=[^\s#]).*?\b(?:""" + "|".join(sorted(RUN_CALLS)) + r""")\s*\(""",
                        re.MULTILINE)
_LINE_ASGI = re.compile(r"^\s*(?:from|import)\s+(?:" + "|".join(sorted(ASGI_MODULES)) + r")\b", re.MULTILINE)
_LINE_WSGI = re.compile(r"^\s*(?:from|import)\s+(?:" + "|".join(sorted(WSGI_MODULES)) + r")\b", re.MULTILINE)


@dataclass(frozen=True)
class AppObject:
    """A top-level name bound to an app: `name` ("application"), `kind` ("wsgi" | "asgi" | ""), and
    `via`: the call that made it ("Flask(…)", "create_app()"), "import", or "assignment"."""

    name: str
    kind: str
    via: str


@dataclass(frozen=True)
class ModuleScan:
    """What `scan` found in one module (see the module docstring)."""

    apps: tuple[AppObject, ...] = ()
    factories: tuple[str, ...] = ()
    runs: bool = False
    imports: str = ""

    def app(self, *, imported: bool = False) -> AppObject | None:
        """The app object a server would start (the first of `apps`, imports counted only with `imported`)."""
        return next((a for a in self.apps if imported or a.via != "import"), None)


def scan(path: Path) -> ModuleScan | None:
    """The scan of the Python file at `path`; None when it is absent."""
    try:
        source = path.read_bytes()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escape sequences and the like are the app's business
            tree = ast.parse(source, filename=path.name)
    except (SyntaxError, ValueError, RecursionError):  # newer syntax, NUL bytes, absurd nesting
        return _scan_lines(source.decode("utf-8-sig", errors="replace"))
    found: dict[str, AppObject] = {}
    factories: list[str] = []
    imports = ""
    for node in tree.body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    made = _app_object(target.id, node.value, found)
                    if made:
                        found[target.id] = made
                    else:
                        found.pop(target.id, None)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            imports = imports or _framework_kind(node)
            for alias in node.names:
                bound = alias.asname or alias.name.split(".")[0]
                if bound in ("app", "application") and isinstance(node, ast.ImportFrom):
                    found[bound] = AppObject(bound, "", "import")
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name in FACTORY_NAMES:
            args = node.args
            required = len(args.posonlyargs) + len(args.args) - len(args.defaults) \
                + sum(1 for d in args.kw_defaults if d is None)
            if required == 0 and node.name not in factories:
                factories.append(node.name)
    ordered = sorted(found.values(), key=lambda a: CONVENTIONAL.index(a.name) if a.name in CONVENTIONAL
                     else len(CONVENTIONAL))
    return ModuleScan(tuple(ordered), tuple(factories), any(_runs(node) for node in tree.body), imports)


def _callee(call: ast.Call) -> str:
    func = call.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def _app_object(name: str, value: ast.expr, known: dict[str, AppObject]) -> AppObject | None:
    if isinstance(value, ast.Call):
        callee = _callee(value)
        if callee in WSGI_CALLS and (callee not in ("App", "API") or _is_falcon(value)):
            return AppObject(name, "wsgi", f"{callee}(…)")
        if callee in ASGI_CALLS:
            return AppObject(name, "asgi", f"{callee}(…)")
        if callee in FACTORY_NAMES:
            return AppObject(name, "", f"{callee}()")
    if name not in ("app", "application"):
        return None
    if isinstance(value, ast.Name) and value.id in known:
        return AppObject(name, known[value.id].kind, known[value.id].via)
    return AppObject(name, "", "assignment")


def _is_falcon(call: ast.Call) -> bool:
    """`falcon.App()` / `falcon.API()`: the bare names `App`/`API` are too common to mean Falcon."""
    return isinstance(call.func, ast.Attribute) and isinstance(call.func.value, ast.Name) \
        and call.func.value.id == "falcon"


def _framework_kind(node: ast.Import | ast.ImportFrom) -> str:
    modules = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
    tops = {m.split(".")[0] for m in modules}
    return "asgi" if tops & ASGI_MODULES else "wsgi" if tops & WSGI_MODULES else ""


def _runs(node: ast.stmt) -> bool:
    """Whether a top-level statement keeps the process serving (see `runs` in the module docstring)."""
    if isinstance(node, (ast.While, ast.AsyncFor)):
        return True
    if isinstance(node, ast.If) and _is_main_test(node.test):
        return True
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)):
        return False
    pending: list[ast.AST] = [node]
    while pending:
        current = pending.pop()
        if isinstance(current, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        if isinstance(current, ast.Call) and _callee(current) in RUN_CALLS:
            return True
        if isinstance(current, ast.While) or (isinstance(current, ast.If) and _is_main_test(current.test)):
            return True
        pending.extend(ast.iter_child_nodes(current))
    return False


def _is_main_test(test: ast.expr) -> bool:
    """`__name__ == "__main__"` (either side)."""
    if not isinstance(test, ast.Compare) or len(test.comparators) != 1:
        return False
    sides = [test.left, test.comparators[0]]
    return any(isinstance(s, ast.Name) and s.id == "__name__" for s in sides) and \
        any(isinstance(s, ast.Constant) and s.value == "__main__" for s in sides)


def _scan_lines(text: str) -> ModuleScan:
    apps = tuple(AppObject(m, "", "assignment") for m in dict.fromkeys(_LINE_APP.findall(text)))
    kind = "asgi" if _LINE_ASGI.search(text) else "wsgi" if _LINE_WSGI.search(text) else ""
    return ModuleScan(apps, tuple(dict.fromkeys(_LINE_FACTORY.findall(text))), bool(_LINE_RUNS.search(text)), kind)
