"""Python apps through the real `dockless build`: git:// source, PyPI, a registry with auth, Docker.

Nothing is faked: pip (a verified wheel from PyPI) installs real packages from
PyPI with Debian's CPython in the build sandbox, a C extension compiles with
the stack's gcc, and every image is pulled and run by a real Docker engine.
"""

from __future__ import annotations

import io
import json
import re
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.e2e.cli import assert_clean_error, dockless
from tests.e2e.conftest import EXAMPLES
from tests.infra.docker_engine import docker_run_output, run_container
from tests.infra.pushed import layers, sbom
from tests.infra.registry import Registry
from tests.python.pyindex import PrivateIndex

Publish = Callable[..., tuple[str, str]]  # tests/e2e/conftest.py `publish`




def names(blobs: list[tuple[str, bytes]]) -> dict[str, list[str]]:
    found = {}
    for digest, data in blobs[:-1]:
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            found[digest] = [n.lstrip("./") for n in tar.getnames()]
    return found


def layer_with(blobs: list[tuple[str, bytes]], path: str) -> str:
    return next(d for d, files in names(blobs).items() if any(f.startswith(path) for f in files))


def sbom_purls(blobs: list[tuple[str, bytes]]) -> set[str]:
    return {c["purl"] for c in sbom(blobs)["components"]}


def test_flask_with_hashed_requirements_pushed_served_and_the_venv_reused_on_a_code_change(
        publish: Publish, registry: Registry, docker_config: Path, build_cache: Path, repo_name: str,
        docker_engine: object) -> None:
    _, url = publish("python-flask-pip")
    run = dockless("build", url, "--image", f"{registry.host}/{repo_name}:v1", docker_config=docker_config,
                   cache_dir=build_cache)
    assert run.code == 0, run.stderr
    assert "starts with 'gunicorn --bind 0.0.0.0:${PORT:-8080} app:app' from app.py app (gunicorn)" in run.stderr
    assert "CPython 3.13 from Debian trixie" in run.stderr and "venv: installed" in run.stderr
    body = run_container(run.last_line, docker_config=docker_config, extra_args=("--read-only", "--tmpfs", "/tmp"))
    assert body.startswith("hello from flask 3.1.2 on python 3.13.") and "&lt;pip&gt;" in body  # MarkupSafe's C

    blobs = layers(registry, repo_name, run.last_line.split("@")[1])
    config = json.loads(blobs[-1][1])["config"]
    assert re.fullmatch(r"[1-9]\d*(:\d+)?", config["User"])
    assert {"PYTHONUNBUFFERED=1", "VIRTUAL_ENV=/layers/python/venv"} <= set(config["Env"])
    purls = sbom_purls(blobs)
    assert {"pkg:pypi/flask@3.1.2", "pkg:pypi/gunicorn@23.0.0", "pkg:generic/cpython@3.13"} <= purls
    assert any(p.startswith("pkg:deb/debian/python3.13@") for p in purls)
    venv = layer_with(blobs, "layers/python/venv")
    files = names(blobs)[venv]
    assert any(f.endswith(".cpython-313.pyc") for f in files)  # bytecode, written reproducibly
    assert not any("pip-26" in f or f.endswith("/bin/pip") for f in files)  # the installer stayed in the build
    assert not any(b"usr/bin/gcc" in data for _, data in blobs[:-1])

    _, changed = publish("python-flask-pip", {"app.py": "from flask import Flask\napp = Flask(__name__)\n"
                                                        "app.get('/')(lambda: 'changed code\\n')\n"})
    again = dockless("build", changed, "--image", f"{registry.host}/{repo_name}:v2", docker_config=docker_config,
                     cache_dir=build_cache)
    assert again.code == 0, again.stderr
    assert "venv: reused the cached layer" in again.stderr and "pip install" not in again.stderr
    assert layer_with(layers(registry, repo_name, again.last_line.split("@")[1]), "layers/python/venv") == venv
    assert "changed code" in run_container(again.last_line, docker_config=docker_config)


@pytest.mark.parametrize(("example", "installer", "answer", "absent"), [
    ("python-uv-starlette", "uv", "hello from starlette 0.49.1 on python 3.13.", "pytest"),
    ("python-django-poetry", "poetry", "hello from django 5.2.8 on python 3.13.", "pytest"),
    ("python-pipenv-bottle", "pipenv", "hello from bottle 0.13.4 on python 3.13.", "pytest"),
])
def test_each_lock_installs_its_runtime_dependencies_and_the_app_is_served(
        example: str, installer: str, answer: str, absent: str, publish: Publish, registry: Registry,
        docker_config: Path, build_cache: Path, repo_name: str, docker_engine: object) -> None:
    _, url = publish(example)
    run = dockless("build", url, "--image", f"{registry.host}/{repo_name}:v1", docker_config=docker_config,
                   cache_dir=build_cache)
    assert run.code == 0, run.stderr
    assert f"installs with {installer}" in run.stderr and "--require-hashes" in run.stderr
    assert run_container(run.last_line, docker_config=docker_config).startswith(answer)
    blobs = layers(registry, repo_name, run.last_line.split("@")[1])
    purls = sbom_purls(blobs)
    assert not any(f"pkg:pypi/{absent}@" in p for p in purls), purls  # the dev group stayed out
    if installer == "poetry":  # Django's collectstatic ran at build: STATIC_ROOT is in the app layer
        assert any(f.endswith("workspace/staticfiles/site.css") for files in names(blobs).values() for f in files)


BOTTLE_APP = ("import os, bottle\napp = bottle.Bottle()\napp.get('/')(lambda: 'private bottle\\n')\n"
              "app.run(host='0.0.0.0', port=int(os.environ['PORT']), quiet=True)\n")


def private_app(installer: str, index: PrivateIndex) -> tuple[dict[str, str], dict[str, str]]:
    """(files, --env) of a one-dependency app whose dependency only the private index has, per installer."""
    wheel = index.wheels["bottle"].name
    if installer == "pip":
        return ({"requirements.txt": "bottle==0.13.4\n", "app.py": BOTTLE_APP},
                {"PIP_INDEX_URL": index.url_with_credentials})
    if installer == "uv":
        lock = ('version = 1\nrequires-python = ">=3.11"\n\n[[package]]\nname = "app"\nversion = "0.1.0"\n'
                'source = { virtual = "." }\ndependencies = [{ name = "bottle" }]\n\n[[package]]\nname = "bottle"\n'
                f'version = "0.13.4"\nsource = {{ registry = "{index.url}" }}\n'
                f'wheels = [{{ url = "{index.url}../files/{wheel}", hash = "sha256:{index.sha256("bottle")}" }}]\n')
        return ({"pyproject.toml": '[project]\nname = "app"\nversion = "0.1.0"\ndependencies = ["bottle==0.13.4"]\n',
                 "uv.lock": lock, "app.py": BOTTLE_APP}, {"UV_INDEX_URL": index.url_with_credentials})
    pyproject = ('[tool.poetry]\npackage-mode = false\n[tool.poetry.dependencies]\npython = "^3.11"\n'
                 f'bottle = "0.13.4"\n[[tool.poetry.source]]\nname = "corp-index"\nurl = "{index.url}"\n'
                 'priority = "primary"\n')
    lock = ('[[package]]\nname = "bottle"\nversion = "0.13.4"\noptional = false\npython-versions = "*"\n'
            f'groups = ["main"]\nfiles = [{{file = "{wheel}", hash = "sha256:{index.sha256("bottle")}"}}]\n\n'
            f'[package.source]\ntype = "legacy"\nurl = "{index.url}"\nreference = "corp-index"\n\n'
            '[metadata]\nlock-version = "2.1"\npython-versions = "^3.11"\ncontent-hash = "0"\n')
    return ({"pyproject.toml": pyproject, "poetry.lock": lock, "app.py": BOTTLE_APP},
            {"POETRY_HTTP_BASIC_CORP_INDEX_USERNAME": index.username,
             "POETRY_HTTP_BASIC_CORP_INDEX_PASSWORD": index.password})


@pytest.mark.parametrize("installer", ["pip", "uv", "poetry"])
def test_private_index_credentials_reach_the_install_and_never_the_image_or_the_log(
        installer: str, publish: Publish, registry: Registry, docker_config: Path, build_cache: Path,
        repo_name: str, tmp_path: Path, docker_engine: object) -> None:
    with PrivateIndex.serving(tmp_path / "index", {"bottle": "0.13.4"}) as index:
        files, env = private_app(installer, index)
        _, url = publish(f"python-private-{installer}", files)
        run = dockless("build", url, "--image", f"{registry.host}/{repo_name}:v1",
                       *[a for k, v in env.items() for a in ("--env", f"{k}={v}")], docker_config=docker_config,
                       cache_dir=build_cache)
        assert run.code == 0, run.stderr
        assert f"installs with {installer}" in run.stderr
        assert "/simple/bottle/" in index.requests and any(p.startswith("/files/bottle-") for p in index.requests)
    assert index.password not in run.stderr + run.stdout
    blobs = layers(registry, repo_name, run.last_line.split("@")[1])
    for digest, data in blobs:
        assert index.password.encode() not in data, digest
    assert run_container(run.last_line, docker_config=docker_config) == "private bottle\n"


HELLO_SETUP = ("from setuptools import Extension, setup\n"
               "setup(name='hello_ext', version='1.0', ext_modules=[Extension('hello_ext', ['hello.c'])])\n")
HELLO_C = ("#include <Python.h>\n"
           "static PyObject *greet(PyObject *s, PyObject *a) { return PyUnicode_FromString(\"hello from C\"); }\n"
           "static PyMethodDef m[] = {{\"greet\", greet, METH_NOARGS, 0}, {0}};\n"
           "static struct PyModuleDef d = {PyModuleDef_HEAD_INIT, \"hello_ext\", 0, -1, m};\n"
           "PyMODINIT_FUNC PyInit_hello_ext(void) { return PyModule_Create(&d); }\n")


def test_an_sdist_with_a_c_extension_compiles_in_the_sandbox(
        publish: Publish, registry: Registry, docker_config: Path, build_cache: Path, repo_name: str,
        docker_engine: object) -> None:
    _, url = publish("python-c-ext", {"requirements.txt": "./hello\n", "hello/setup.py": HELLO_SETUP,
                                      "hello/hello.c": HELLO_C, "Procfile": "web: python main.py\n",
                                      "main.py": "import sys, hello_ext\nprint(hello_ext.greet(), *sys.argv[1:])\n"})
    run = dockless("build", url, "--image", f"{registry.host}/{repo_name}:v1", docker_config=docker_config,
                   cache_dir=build_cache)
    assert run.code == 0, run.stderr
    out = docker_run_output(run.last_line, "and", "args", docker_config=docker_config)
    assert out.strip() == "hello from C and args"


def test_psycopg2_from_its_sdist_compiles_against_libpq_and_loads_it_at_launch(
        publish: Publish, registry: Registry, docker_config: Path, build_cache: Path, repo_name: str,
        docker_engine: object) -> None:
    """psycopg2 has no wheels: it builds with pg_config (libpq-dev, build only) and needs libpq.so.5 at launch."""
    _, url = publish("python-psycopg2", {"requirements.txt": "psycopg2==2.9.10\n", "Procfile": "web: python main.py\n",
                                         "main.py": "import psycopg2\nprint('libpq', psycopg2.__libpq_version__)\n"})
    run = dockless("build", url, "--image", f"{registry.host}/{repo_name}:v1", docker_config=docker_config,
                   cache_dir=build_cache)
    assert run.code == 0, run.stderr
    assert "native packages psycopg2: libpq-dev at build, libpq5 at launch" in run.stderr
    assert re.fullmatch(r"libpq \d{5,6}", docker_run_output(run.last_line, docker_config=docker_config).strip())


@pytest.mark.parametrize(("case", "code", "words"), [
    ("malformed-pyproject", 2, ("pyproject.toml is not valid TOML", "line 3")),
    ("impossible-python", 5, ("Python '2.7' (.python-version) is not offered by Debian", "trixie has 3.13")),
    ("missing-package", 5, ("pip install (pip) failed: No matching distribution found for "
                            "no-such-package-dockless-test==1.0",)),
    ("failing-compile", 5, ("pip install (pip) failed",)),
    ("no-start", 5, ("no start command for this Python app",)),
    ("idle-app", 5, ("app.py would define an app and exit",)),
    ("conflicting-versions", 5, ("Python 3.11 (.python-version) does not meet requires-python '>=3.13'",)),
    ("django-setting-from-env", 5, ("django collectstatic failed", "the settings read $DJANGO_SECRET_KEY",
                                    "--env DJANGO_SECRET_KEY=")),
])
def test_bad_python_input_fails_in_one_line_and_pushes_nothing(
        case: str, code: int, words: tuple[str, ...], publish: Publish, registry: Registry,
        docker_config: Path, build_cache: Path, repo_name: str) -> None:
    files = {
        "malformed-pyproject": {"pyproject.toml": '[project]\nname = "x"\nversion = 1.2.3\n'},
        "impossible-python": {".python-version": "2.7\n", "requirements.txt": "", "main.py": "\n"},
        "missing-package": {"requirements.txt": "no-such-package-dockless-test==1.0\n", "main.py": "\n"},
        "failing-compile": {"requirements.txt": "./broken\n", "main.py": "\n",
                            "broken/setup.py": HELLO_SETUP, "broken/hello.c": "this is not C;\n"},
        "no-start": {"requirements.txt": "", "lib.py": "\n"},
        "idle-app": {"requirements.txt": "", "app.py": "app = object()\n"},  # `python app.py` would exit at once
        "conflicting-versions": {".python-version": "3.11\n", "main.py": "while True: pass\n",
                                 "pyproject.toml": '[project]\nname = "x"\nversion = "1"\nrequires-python = ">=3.13"\n'},
        "django-setting-from-env": {},
    }[case]
    source = "python-django-poetry" if case == "django-setting-from-env" else f"python-{case}"
    if case == "django-setting-from-env":  # settings that read the environment need it at build too
        settings = (EXAMPLES / "python-django-poetry" / "mysite" / "settings.py").read_text()
        files = {"mysite/settings.py": "import os\n" + settings.replace(
            'SECRET_KEY = "not-a-secret-only-an-example"', 'SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]')}
    _, url = publish(source, files)
    run = dockless("build", url, "--image", f"{registry.host}/{repo_name}:v1", docker_config=docker_config,
                   cache_dir=build_cache)
    assert_clean_error(run, code, *words)
    assert registry.tags(repo_name) == []


def test_same_commit_twice_gives_the_same_digest_with_fresh_caches(publish: Publish, tmp_path: Path) -> None:
    _, url = publish("python-flask-pip")
    digests = []
    for n in (1, 2):  # a fresh cache each time: the venv is installed and compiled again, and must not change
        run = dockless("build", url, "--image", f"oci:{tmp_path / f'oci{n}'}", cache_dir=tmp_path / f"cache{n}")
        assert run.code == 0, run.stderr
        assert "venv: installed" in run.stderr
        digests.append(run.last_line.split("@")[1])
    assert digests[0] == digests[1]


def test_python_3_11_builds_and_runs_on_bookworm_which_has_it(
        publish: Publish, registry: Registry, docker_config: Path, build_cache: Path, repo_name: str,
        docker_engine: object) -> None:
    """trixie has CPython 3.13 only; bookworm has 3.11: the whole build (build root, run image) moves there."""
    _, url = publish("python-pipenv-bottle", {".python-version": "3.11\n"})
    run = dockless("build", url, "--image", f"{registry.host}/{repo_name}:v1", docker_config=docker_config,
                   cache_dir=build_cache)
    assert run.code == 0, run.stderr
    assert "building on bookworm" in run.stderr and "Python '3.11' from .python-version" in run.stderr
    assert run_container(run.last_line, docker_config=docker_config).startswith(
        "hello from bottle 0.13.4 on python 3.11.")


SHOP_SETUP = ('from setuptools import setup\nsetup(name="shop", version="1", packages=["shop"], install_requires=['
              '"flask==3.1.2"], entry_points={"console_scripts": ["shop-serve=shop.cli:main"]})\n')
SHOP_CLI = ("import os\nfrom flask import Flask\nfrom shop import VERSION\n"
            "def main():\n    app = Flask('shop')\n    app.get('/')(lambda: f'shop {VERSION}\\n')\n"
            "    app.run(host='0.0.0.0', port=int(os.environ['PORT']))\n")


LOCAL_CODE = Path(__file__).parent / "local_code"  # real locks written by uv, Poetry and Pipenv


@pytest.mark.parametrize("installer", ["pip", "uv", "uv-workspace"])
def test_the_apps_own_code_installed_as_a_dependency_runs_changed_after_a_code_change(
        installer: str, publish: Publish, registry: Registry, docker_config: Path, build_cache: Path,
        repo_name: str, docker_engine: object) -> None:
    """Trial bugs 5 and 11: `.` in requirements.txt (a console script starts it), and uv.lock's
    `mylib = { path = "libs/mylib", editable = true }`, and a uv workspace built from its root (what the
    exit 3 for a member built alone asks for). The venv is reused on a code change, yet the image runs
    the new code: the app's own code is in the project layer, made on every build. A host's __pycache__ is left
    out of /workspace (bug 15i)."""
    def source(version: str) -> tuple[str | Path, dict[str, str]]:
        if installer == "pip":
            return "python-shop-dot", {"requirements.txt": ".\n", "setup.py": SHOP_SETUP, "Procfile": "web: shop-serve\n",
                                       "shop/__init__.py": f"VERSION = '{version}'\n", "shop/cli.py": SHOP_CLI,
                                       "shop/__pycache__/__init__.cpython-311.pyc": "host bytecode"}
        if installer == "uv-workspace":  # the root's uv.lock: members reached from the root are its own code (bug 2)
            return LOCAL_CODE / "uvws", {"packages/utils/src/utils/__init__.py": f"NAME = '{version}'\n"}
        return LOCAL_CODE / "uv", {"libs/mylib/mylib/__init__.py": f"NAME = '{version}'\n",
                                   "Procfile": "web: gunicorn -b 0.0.0.0:$PORT app:app\n"}

    answers = {"pip": "shop {}", "uv": "py20 {}", "uv-workspace": "api {}"}  # the trial app's route says py20
    digests = []
    for version in ("v1", "v2"):
        _, url = publish(*source(version))
        run = dockless("build", url, "--image", f"{registry.host}/{repo_name}:{version}",
                       docker_config=docker_config, cache_dir=build_cache)
        assert run.code == 0, run.stderr
        assert "project: installed the app's own code" in run.stderr
        assert ("venv: reused the cached layer" in run.stderr) == (version == "v2")
        assert run_container(run.last_line, docker_config=docker_config).strip() == answers[installer].format(version)
        blobs = layers(registry, repo_name, run.last_line.split("@")[1])
        digests.append(layer_with(blobs, "layers/python/venv"))
        app_files = names(blobs)[layer_with(blobs, "workspace")]
        assert not any("__pycache__" in f for f in app_files)
        venv_files = names(blobs)[digests[-1]]
        stale = [f for f in venv_files for name in ("shop", "mylib", "utils") if f"/{name}/" in f or f.endswith(f"/{name}")]
        assert not stale  # no copy of the app's code in the venv
    assert digests[0] == digests[1]


def test_a_c_extension_built_from_an_sdist_is_byte_identical_on_two_cold_builds(
        publish: Publish, tmp_path: Path) -> None:
    """Trial bug 8: pip built each sdist in /tmp/pip-install-<random>/<name>_<uuid4>, a path compiled into the
    .so (DWARF, build-id), so every cold cache gave another venv layer."""
    _, url = publish("python-sdist-repro", {"requirements.txt": "markupsafe==2.1.5 --no-binary markupsafe\n",
                                            "Procfile": "web: python main.py\n",
                                            "main.py": "import markupsafe._speedups\nprint('ok')\n"})
    digests = []
    for n in (1, 2):
        run = dockless("build", url, "--image", f"oci:{tmp_path / f'oci{n}'}", cache_dir=tmp_path / f"cache{n}")
        assert run.code == 0, run.stderr
        assert "venv: installed" in run.stderr
        digests.append(run.last_line.split("@")[1])
    assert digests[0] == digests[1]
