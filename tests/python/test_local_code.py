"""The app's own code as a dependency (trial bugs 5, 11, 2), lock errors (15c, 15d), host bytecode (15i), and
reproducible sdist builds (8): unit tests on real lockfiles (tests/python/local_code/, written by uv 0.9, Poetry 2
and Pipenv for the trial apps) and on real pip output."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from builder.errors import BuildError, SourceError, UsageError
from buildpacks.python.build import _PIP, bytecode_caches, hash_mismatch, local_distributions
from buildpacks.python.local import local_dir, requirement_path, uv_source_paths
from buildpacks.python.locks import pipenv_requirements, poetry_requirements, uv_requirements
from buildpacks.python.plan import plan

LOCAL = Path(__file__).parent / "local_code"


def copy(name: str, tmp_path: Path) -> Path:
    app = tmp_path / name
    shutil.copytree(LOCAL / name, app)
    return app


@pytest.mark.parametrize(("line", "path"), [
    (".", "."), ("-e .", "."), ("--editable=./libs/a", "./libs/a"), ("./", "./"), ("libs/mylib", "libs/mylib"),
    ("file:libs/mylib", "file:libs/mylib"), ("mylib @ file:///srv/mylib", "file:///srv/mylib"),
    ("./dist/x-1.0-py3-none-any.whl", "./dist/x-1.0-py3-none-any.whl"), (". ; python_version >= '3'", "."),
    ("flask==3.0.3", None), ("x @ https://h/x-1.0.tar.gz", None), ("flask==3 --hash=sha256:ab/c", None), ("-r base.txt", None), ("git+https://h/x.git#egg=x", None),
    ("https://h/x-1.0.tar.gz", None), ("flask[async]>=3 ; python_version < '4'", None), ("# ./x", None),
])
def test_requirement_lines_that_install_a_local_path(line: str, path: str | None) -> None:
    assert requirement_path(line) == path


def test_a_path_inside_the_app_is_app_relative_and_one_outside_is_exit_3(tmp_path: Path) -> None:
    app = tmp_path / "app"
    (app / "libs" / "a").mkdir(parents=True)
    assert local_dir(app, "./libs/a/", "requirements.txt") == "libs/a"
    assert local_dir(app, "file:libs/a", "requirements.txt") == "libs/a"
    assert local_dir(app, ".", "requirements.txt") == "."
    (tmp_path / "shared").mkdir()
    with pytest.raises(SourceError, match="installs ../shared, which is outside the app's source tree") as raised:
        local_dir(app, "../shared", "requirements.txt")
    assert raised.value.exit_code == 3
    with pytest.raises(SourceError):
        local_dir(app, f"file://{tmp_path / 'shared'}", "requirements.txt")
    with pytest.raises(BuildError, match="no such path in the app"):
        local_dir(app, "./libs/missing", "requirements.txt")


def test_requirements_dot_puts_the_project_in_the_project_layer_and_code_changes_keep_the_venv(
        tmp_path: Path) -> None:
    """Bug 5: the venv held the project and was keyed by requirements.txt alone, so old code ran."""
    app, home = tmp_path / "app", tmp_path / "home"
    (app / "shop").mkdir(parents=True)
    home.mkdir()
    (app / "requirements.txt").write_text(".\n")
    setup = 'from setuptools import setup\nsetup(name="shop", packages=["shop"], install_requires=["flask"])\n'
    (app / "setup.py").write_text(setup)
    (app / "shop" / "__init__.py").write_text("V = 1\n")
    first = plan(app, "pip", home, "/h")
    assert first.local == (".",) and first.project_paths() == (".",)
    (app / "shop" / "__init__.py").write_text("V = 2\n")
    assert plan(app, "pip", home, "/h").inputs == first.inputs  # the project layer, made every build, has V = 2
    (app / "setup.py").write_text(setup.replace('"flask"', '"flask", "click"'))
    assert plan(app, "pip", home, "/h").inputs != first.inputs  # its dependencies key the venv
    (app / "requirements.txt").write_text("-e ./libs/a\n")
    (app / "libs" / "a").mkdir(parents=True)
    assert plan(app, "pip", home, "/h").local == ("libs/a",)
    (app / "requirements.txt").write_text("../elsewhere\n")
    (tmp_path / "elsewhere").mkdir()
    with pytest.raises(SourceError, match="outside the app's source tree"):
        plan(app, "pip", home, "/h")


def test_a_requirements_file_included_from_outside_the_app_is_exit_3(tmp_path: Path) -> None:
    app, home = tmp_path / "services" / "api", tmp_path / "home"
    app.mkdir(parents=True)
    home.mkdir()
    (tmp_path / "base.txt").write_text("flask\n")
    (app / "requirements.txt").write_text("-r ../../base.txt\n")
    with pytest.raises(SourceError, match="a --subdir that cannot build alone"):
        plan(app, "pip", home, "/h")


def test_uv_lock_with_an_editable_path_exports_its_dependencies_and_installs_it_from_the_tree(
        tmp_path: Path) -> None:
    """Bug 11, uv: `mylib = { path = "libs/mylib", editable = true }` was exit 5 "cannot verify"."""
    export = uv_requirements(LOCAL / "uv")
    assert export.local == ("libs/mylib",)
    assert "flask==3.0.3" in export.requirements and "mylib" not in export.requirements
    home = tmp_path / "home"
    home.mkdir()
    install = plan(LOCAL / "uv", "uv", home, "/h")
    assert install.project_paths() == ("libs/mylib",)
    assert install.requirements == ("--require-hashes", "--no-deps", "-r", "/h/requirements.txt")


def test_poetry_and_pipenv_path_dependencies_are_the_apps_own_code(tmp_path: Path) -> None:
    """Bug 11, Poetry `{path = "libs/mylib", develop = true}` and Pipenv `-e .`."""
    poetry = poetry_requirements(LOCAL / "poetry")
    assert poetry.local == ("libs/mylib",) and "gunicorn==22.0.0" in poetry.requirements
    pipenv = pipenv_requirements(LOCAL / "pipenv")
    assert pipenv.local == (".",) and "flask==3.0.3" in pipenv.requirements and "shop" not in pipenv.requirements
    app = copy("poetry", tmp_path)
    lock = (app / "poetry.lock").read_text()
    (app / "poetry.lock").write_text(lock.replace('url = "libs/mylib"', 'url = "../mylib"'))
    (tmp_path / "mylib").mkdir()
    with pytest.raises(SourceError, match=r"poetry.lock \(mylib\) installs ../mylib, which is outside"):
        poetry_requirements(app)


def test_a_uv_workspace_member_built_alone_is_exit_3_before_any_install(tmp_path: Path) -> None:
    """Bug 2: `utils = { workspace = true }` with --subdir was installed as PyPI's `utils`."""
    app, home = tmp_path / "packages" / "api", tmp_path / "home"
    app.mkdir(parents=True)
    home.mkdir()
    (app / "pyproject.toml").write_text(
        '[project]\nname = "api"\nversion = "0.1.0"\ndependencies = ["utils", "fastapi[standard]"]\n'
        '[tool.uv.sources]\nutils = { workspace = true }\n'
        '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n')
    with pytest.raises(SourceError, match="a --subdir that cannot build alone: 'utils' is a uv workspace member") \
            as raised:
        plan(app, "project", home, "/h")
    assert raised.value.exit_code == 3 and "build the workspace root" in raised.value.hint
    assert not (home / "requirements.txt").exists()


def test_a_uv_workspace_root_installs_the_members_it_reaches_from_the_tree() -> None:
    """What the exit 3 above asks for: the root's uv.lock (uv 0.9) reaches packages/api and, through it,
    packages/utils (both `editable`), whose registry dependencies are exported with hashes."""
    export = uv_requirements(LOCAL / "uvws")
    assert export.local == ("packages/api", "packages/utils")
    assert export.requirements.startswith("itsdangerous==2.2.0 --hash=sha256:")


def test_a_uv_path_source_without_a_lock_is_installed_from_its_path_never_by_name(tmp_path: Path) -> None:
    app, home = copy("uv", tmp_path), tmp_path / "home"
    home.mkdir()
    (app / "uv.lock").unlink()
    install = plan(app, "project", home, "/h")
    assert (home / "requirements.txt").read_text() == "flask==3.0.3\ngunicorn==22.0.0\n./libs/mylib\n"
    assert install.local == ("libs/mylib",)
    assert uv_source_paths(app, {"tool": {"uv": {"sources": {"x": {"git": "https://h/x"}}}}}) == {}


@pytest.mark.parametrize(("lock", "text", "words"), [
    ("poetry.lock", '[[package]]\nname = 1\nversion = "1.0"\n', "poetry.lock: package entry 1 has name = 1"),
    ("poetry.lock", '[[package]]\nname = "a"\nversion = 2\n', r"poetry.lock: package entry 1 \(a\) has version = 2"),
    ("poetry.lock", 'package = "x"\n', "poetry.lock: 'package' is not a list"),
    ("uv.lock", '[[package]]\nversion = "1"\n', "uv.lock: package entry 1 has name = None"),
])
def test_a_malformed_lock_is_a_usage_error_naming_the_file_and_entry(
        lock: str, text: str, words: str, tmp_path: Path) -> None:
    """Bug 15d: `name = 1` was exit 1 "internal error: TypeError"."""
    (tmp_path / lock).write_text(text)
    with pytest.raises(UsageError, match=words) as raised:
        (poetry_requirements if lock == "poetry.lock" else uv_requirements)(tmp_path)
    assert raised.value.exit_code == 2


PIP_HASH_OUTPUT = """\
Collecting markupsafe==2.1.5 (from -r req.txt (line 1))
  Downloading MarkupSafe-2.1.5-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl (28 kB)
ERROR: THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE. If you have updated the package \
versions, please update the hashes. Otherwise, examine the package contents carefully; someone may have \
tampered with them.
    markupsafe==2.1.5 from https://files.pythonhosted.org/packages/97/18/c30da5e7/MarkupSafe-2.1.5-cp311-cp311-\
manylinux_2_17_x86_64.manylinux2014_x86_64.whl (from -r req.txt (line 1)):
        Expected sha256 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
             Got        b91c037585eba9095565a3556f611e3cbfaa42ca1e865f7b8015fe5c7336d5a5
"""  # pip 26.3's own words (run against a wrong pin in requirements.txt)


def test_a_hash_mismatch_is_one_line_naming_the_package_and_both_hashes() -> None:
    """Bug 15c: pip's block was cut to "someone may…" under exit 5; the build raises it as IntegrityError."""
    line = hash_mismatch(PIP_HASH_OUTPUT)
    assert line.startswith("markupsafe==2.1.5 (MarkupSafe-2.1.5-cp311") and "\n" not in line
    assert "expected sha256 aaaaaaaaaaaa" in line and "got b91c037585eb" in line and len(line) <= 300
    short = PIP_HASH_OUTPUT.replace("cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64", "py3-none-any")
    assert "expected sha256 " + "a" * 64 + ", got b91c037585eba9095565a3556f611e3cbfaa42ca1e865f7b8015fe5c7336d5a5" \
        in hash_mismatch(short)
    assert hash_mismatch("ERROR: No matching distribution found for x\n") == ""


def test_distributions_pip_installed_from_the_apps_tree_are_found_by_their_direct_url(tmp_path: Path) -> None:
    site = tmp_path / "lib" / "python3.13" / "site-packages"
    for name, url in (("shop-0.1", "file:///workspace"), ("flask-3.0.3", None),
                      ("my_lib-1", "file:///workspace/libs/my-lib"), ("x-1", "https://h/x-1.tar.gz")):
        (site / f"{name}.dist-info").mkdir(parents=True)
        if url:
            (site / f"{name}.dist-info" / "direct_url.json").write_text(json.dumps({"url": url, "dir_info": {}}))
    assert local_distributions(tmp_path) == ["my_lib", "shop"]


def test_host_bytecode_is_left_out_of_the_app(tmp_path: Path) -> None:
    """Bug 15i: a host `__pycache__/x.cpython-311.pyc` shipped in /workspace."""
    app = tmp_path / "svc"
    (app / "pkg" / "__pycache__").mkdir(parents=True)
    (app / "__pycache__").mkdir()
    (app / "pkg" / "__pycache__" / "m.cpython-311.pyc").write_bytes(b"\0")
    (app / "old.py").write_text("")
    (app / "old.pyc").write_bytes(b"\0")
    (app / "shipped.pyc").write_bytes(b"\0")  # no source beside it: the app's own file
    assert bytecode_caches(tmp_path, "svc") == {"svc/__pycache__", "svc/pkg/__pycache__", "svc/old.pyc"}
    assert bytecode_caches(app, "") == {"__pycache__", "pkg/__pycache__", "old.pyc"}


def test_pip_runs_with_the_same_temporary_names_every_time(tmp_path: Path) -> None:
    """Bug 8: the wrapper pip runs under seeds tempfile's names and uuid4, where pip's sdist build dirs come
    from; two runs draw the same names (the e2e test builds an sdist twice and compares the layers)."""
    script = tmp_path / "show.py"
    script.write_text("import tempfile, uuid\nprint(tempfile.mkdtemp(prefix='pip-install-'), uuid.uuid4().hex)\n")
    runs = []
    for n in (1, 2):
        (tmp_path / f"t{n}").mkdir()
        runs.append(subprocess.run([sys.executable, "-c", _PIP, "dockless", str(script)], capture_output=True,
                                   text=True, check=True, env={"TMPDIR": str(tmp_path / f"t{n}")}))
    names = [r.stdout.replace(str(tmp_path / "t1"), "T").replace(str(tmp_path / "t2"), "T") for r in runs]
    assert names[0] == names[1] and "T/pip-install-" in names[0]
