"""The Python detector on the inputs users really write: version files in pyenv's, uv's and Heroku's
spellings, and requirements that reach outside the directory being built (exit 3 at detect)."""

from __future__ import annotations

from pathlib import Path

import pytest

from builder.errors import SourceError
from detectors.python import PythonDetector
from tests.e2e.cli import assert_clean_error, dockless


def write(root: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            (root / name).write_bytes(content)
        else:
            (root / name).write_text(content)
    return root


APP = {"requirements.txt": "flask\ngunicorn\n", "app.py": "from flask import Flask\napp = Flask(__name__)\n"}


@pytest.mark.parametrize(("files", "version", "source"), [
    ({".python-version": "python-3.13\n"}, "3.13", ".python-version"),  # runtime.txt's spelling
    ({".python-version": "cpython@3.11\n"}, "3.11", ".python-version"),  # uv's request forms
    ({".python-version": "cpython-3.13.1-linux-x86_64-gnu\n"}, "3.13.1", ".python-version"),
    ({".python-version": "\ufeff3.11\r\n"}, "3.11", ".python-version"),
    ({"runtime.txt": b"\xef\xbb\xbfpython-3.11.9\r\n"}, "3.11.9", "runtime.txt"),  # a Windows editor's BOM
    ({".python-version": "system\n"}, "", "default"),
    ({".python-version": "System\n", "runtime.txt": "python-3.11\n"}, "3.11", "runtime.txt"),
])
def test_version_file_spellings(tmp_path: Path, files: dict[str, str | bytes], version: str, source: str) -> None:
    found = PythonDetector().detect(write(tmp_path, {**APP, **files}), {})
    meta = found.metadata("python")
    assert (meta["python"], meta["python_source"]) == (version, source)
    assert not any("\ufeff" in r for r in found.reasons)


def test_python_version_system_says_why_the_stack_python_is_used(tmp_path: Path) -> None:
    found = PythonDetector().detect(write(tmp_path, {**APP, ".python-version": "system\n"}), {})
    assert ".python-version says 'system' (pyenv's word for the default Python): it asks for no version" \
        in found.reasons
    assert any("the stack's CPython" in r for r in found.reasons)


@pytest.mark.parametrize(("files", "where"), [
    ({"requirements.txt": "-r ../../requirements-base.txt\n"}, "requirements.txt line 1: -r ../../requirements-base.txt"),
    ({"requirements.txt": "flask\n--constraint=../constraints.txt\n"},
     "requirements.txt line 2: --constraint=../constraints.txt"),
    ({"requirements.txt": "-r reqs/prod.txt\n", "reqs/prod.txt": "gunicorn\n-r ../../base.txt\n"},
     "reqs/prod.txt line 2: -r ../../base.txt"),
    ({"requirements.txt": "flask\n-e ../libs/shared\n"}, "requirements.txt line 2: -e ../libs/shared"),
    ({"requirements.txt": "../libs/shared[extra]\n"}, "requirements.txt line 1: ../libs/shared[extra]"),
])
def test_a_requirement_outside_the_directory_being_built_is_a_source_error_at_detect(
        tmp_path: Path, files: dict[str, str | bytes], where: str) -> None:
    """Bug 12: `--subdir services/api2` whose requirements include `../../requirements-base.txt`."""
    app = write(tmp_path / "services" / "api2", {"app.py": APP["app.py"], **files})
    write(tmp_path, {"requirements-base.txt": "flask\n", "constraints.txt": "", "base.txt": ""})
    with pytest.raises(SourceError) as raised:
        PythonDetector().detect(app, {})
    assert raised.value.exit_code == 3
    assert str(raised.value) == f"{where} reaches outside the directory being built: a --subdir must build alone"


def test_includes_inside_the_tree_and_a_workspace_member_are_fine(tmp_path: Path) -> None:
    write(tmp_path / "app", {"app.py": APP["app.py"], "requirements.txt": "-r ./reqs/base.txt\n-e ./lib\n"
                             "-c ../shared/constraints.txt\n", "reqs/base.txt": "-r ../more.txt\nflask\n",
                             "more.txt": "gunicorn\n"})
    write(tmp_path, {"shared/constraints.txt": ""})
    found = PythonDetector().detect(tmp_path, {}, app_dir="app")  # the workspace is the root: ../shared is in it
    assert found.metadata("python")["start_command"].endswith("app:app")


def test_the_cli_says_it_in_one_line_exit_3_and_writes_nothing(tmp_path: Path) -> None:
    source = write(tmp_path / "mono", {"requirements-base.txt": "flask\ngunicorn\n",
                                       "services/api2/requirements.txt": "-r ../../requirements-base.txt\n",
                                       "services/api2/app.py": APP["app.py"]})
    run = dockless("build", str(source), "--subdir", "services/api2", "--image", f"oci:{tmp_path / 'out'}",
                   cache_dir=tmp_path / "cache", timeout=120)
    assert_clean_error(run, 3, "requirements.txt line 1: -r ../../requirements-base.txt reaches outside")
    assert not (tmp_path / "out").exists()
