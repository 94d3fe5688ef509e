"""Lock exports, index settings and the SBOM reading, on the examples' real lockfiles (written by uv, Poetry, Pipenv)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from builder.errors import BuildError
from buildpacks.python.indexes import pip_env
from buildpacks.python.inventory import pypi_purl, python_components
from buildpacks.python.locks import pipenv_requirements, poetry_requirements, uv_requirements
from buildpacks.python.plan import plan

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
_LINE = re.compile(r"^([A-Za-z0-9._-]+)==(\S+)( ; [^-]+)? (--hash=sha256:[0-9a-f]{64} ?)+$")


def names(text: str) -> set[str]:
    lines = text.splitlines()
    assert all(_LINE.match(line) for line in lines), lines
    return {line.split("==")[0].lower() for line in lines}


def test_poetry_lock_exports_the_main_group_only() -> None:
    assert names(poetry_requirements(EXAMPLES / "python-django-poetry").requirements) == {
        "asgiref", "django", "gunicorn", "packaging", "sqlparse", "tzdata"}  # no pytest, pluggy, colorama


def test_uv_lock_exports_what_the_project_needs_and_no_dev_group() -> None:
    text = uv_requirements(EXAMPLES / "python-uv-starlette").requirements
    assert names(text) == {"anyio", "click", "h11", "idna", "starlette", "typing-extensions", "uvicorn"}
    assert "typing-extensions==4.16.0 ; " in text  # the edge's marker is kept


def test_pipfile_lock_exports_default_not_develop() -> None:
    assert names(pipenv_requirements(EXAMPLES / "python-pipenv-bottle").requirements) == {"bottle"}


def test_a_locked_package_without_hashes_or_from_git_cannot_be_verified(tmp_path: Path) -> None:
    (tmp_path / "Pipfile.lock").write_text(json.dumps({"default": {"x": {"version": "==1.0", "hashes": []}}}))
    with pytest.raises(BuildError, match="Pipfile.lock has no hash for x 1.0"):
        pipenv_requirements(tmp_path)
    (tmp_path / "Pipfile.lock").write_text(json.dumps({"default": {"y": {"git": "https://h/y.git"}}}))
    with pytest.raises(BuildError, match="takes y from a VCS"):
        pipenv_requirements(tmp_path)
    (tmp_path / "uv.lock").write_text('[[package]]\nname = "a"\nversion = "1"\nsource = { editable = "." }\n'
                                      'dependencies = [{ name = "b" }]\n[[package]]\nname = "b"\nversion = "2"\n'
                                      'source = { git = "https://h/b.git" }\n')
    with pytest.raises(BuildError, match="uv.lock takes b from git"):
        uv_requirements(tmp_path)


def test_poetry_1_x_lock_without_groups_walks_from_the_main_dependencies(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.poetry.dependencies]\npython = "^3.11"\nflask = "^3"\n'
                                             '[tool.poetry.group.dev.dependencies]\npytest = "*"\n')
    (tmp_path / "poetry.lock").write_text(
        '[[package]]\nname = "flask"\nversion = "3.1.2"\nfiles = [{file = "f.whl", hash = "sha256:' + "a" * 64
        + '"}]\n[package.dependencies]\nclick = ">=8"\n[[package]]\nname = "click"\nversion = "8.1.0"\n'
        'files = [{file = "c.whl", hash = "sha256:' + "b" * 64 + '"}]\n'
        '[[package]]\nname = "pytest"\nversion = "8.0"\nfiles = [{file = "p.whl", hash = "sha256:' + "c" * 64
        + '"}]\n')
    assert names(poetry_requirements(tmp_path).requirements) == {"flask", "click"}


def test_index_settings_come_from_the_env_and_the_apps_sources(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[[tool.poetry.source]]\nname = "corp-repo"\n'
                                             'url = "https://pkgs.corp/simple/"\npriority = "primary"\n')
    env = {"POETRY_HTTP_BASIC_CORP_REPO_USERNAME": "ci", "POETRY_HTTP_BASIC_CORP_REPO_PASSWORD": "p@ss"}
    assert pip_env(tmp_path, "poetry", env) == {"PIP_INDEX_URL": "https://ci:p%40ss@pkgs.corp/simple/"}
    (tmp_path / "Pipfile.lock").write_text(json.dumps({"_meta": {"sources": [
        {"url": "https://${USER}:${TOKEN}@mirror/simple"}, {"url": "https://pypi.org/simple"}]}}))
    assert pip_env(tmp_path, "pipenv", {"USER": "u", "TOKEN": "t"}) == {
        "PIP_INDEX_URL": "https://u:t@mirror/simple", "PIP_EXTRA_INDEX_URL": "https://pypi.org/simple"}
    assert pip_env(tmp_path, "uv", {"UV_INDEX_URL": "http://m/simple", "PIP_TRUSTED_HOST": "m"}) == {
        "PIP_INDEX_URL": "http://m/simple", "PIP_TRUSTED_HOST": "m"}


def test_sbom_components_come_from_the_installed_metadata(tmp_path: Path) -> None:
    info = tmp_path / "lib/python3.13/site-packages/Flask_Login-0.6.3.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: Flask-Login\nVersion: 0.6.3\n\nName: not this\n")
    [component] = python_components(tmp_path)
    assert (component.name, component.version, component.purl) == ("Flask-Login", "0.6.3",
                                                                   "pkg:pypi/flask-login@0.6.3")
    assert pypi_purl("Zope_Interface", "7.0") == "pkg:pypi/zope-interface@7.0"


def test_the_install_plan_keys_the_venv_on_dependencies_and_installs_a_scripted_package_apart(tmp_path: Path) -> None:
    app, home = tmp_path / "app", tmp_path / "home"
    app.mkdir()
    home.mkdir()
    pyproject = ('[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n'
                 '[project]\nname = "tool"\nversion = "1"\ndependencies = ["click>=8"]\n'
                 '[project.scripts]\ntool = "tool:main"\n')
    (app / "pyproject.toml").write_text(pyproject)
    (app / "tool.py").write_text("def main(): pass\n")
    first = plan(app, "project", home, "/h")
    assert first.requirements == ("-r", "/h/requirements.txt") and first.project
    assert (home / "requirements.txt").read_text() == "click>=8\n"
    (app / "tool.py").write_text("def main(): print('changed')\n")
    assert plan(app, "project", home, "/h").inputs == first.inputs  # code changes do not touch the venv's key
    (app / "pyproject.toml").write_text(pyproject.replace("click>=8", "click>=8.1"))
    assert plan(app, "project", home, "/h").inputs != first.inputs
    (app / "pyproject.toml").write_text(pyproject.replace('dependencies = ["click>=8"]', 'dynamic = ["dependencies"]'))
    dynamic = plan(app, "project", home, "/h")  # dependencies known only to the backend: `.` into the venv
    assert dynamic.requirements == (".",) and not dynamic.project and dynamic.project_paths() == (".",)
    (app / "tool.py").write_text("def main(): print('again')\n")
    assert plan(app, "project", home, "/h").inputs != dynamic.inputs
    app_without_scripts = tmp_path / "web"
    app_without_scripts.mkdir()
    (app_without_scripts / "pyproject.toml").write_text('[project]\nname = "web"\ndependencies = ["flask"]\n')
    assert not plan(app_without_scripts, "project", home, "/h").project


def test_the_pip_venv_key_covers_the_files_requirements_txt_includes(tmp_path: Path) -> None:
    """A venv reused after an included file changed would ship stale dependencies."""
    app, home = tmp_path / "app", tmp_path / "home"
    (app / "requirements").mkdir(parents=True)
    home.mkdir()
    (app / "requirements.txt").write_text("-r requirements/prod.txt\n-c constraints.txt\n")
    (app / "requirements" / "prod.txt").write_text("flask\n")
    (app / "constraints.txt").write_text("flask<4\n")
    (app / "app.py").write_text("x = 1\n")
    first = plan(app, "pip", home, "/h").inputs
    (app / "app.py").write_text("x = 2\n")
    assert plan(app, "pip", home, "/h").inputs == first
    (app / "requirements" / "prod.txt").write_text("flask\ngunicorn\n")
    second = plan(app, "pip", home, "/h").inputs
    assert second != first
    (app / "constraints.txt").write_text("flask<3.2\n")
    assert plan(app, "pip", home, "/h").inputs != second
