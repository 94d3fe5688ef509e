"""project.toml (CNB project descriptor v0.2 and v0.1) parsing."""

from __future__ import annotations

from pathlib import Path

import pytest

from builder.errors import UsageError
from builder.source import ProjectDescriptor, load_project

V02 = """
[_]
schema-version = "0.2"
id = "com.example.app"
name = "App"
version = "1.0.0"

[io.buildpacks]
builder = "ignored/builder"
exclude = ["*.md", "/tests/"]

[[io.buildpacks.build.env]]
name = "BP_NODE_VERSION"
value = "20"

[[io.buildpacks.build.env]]
name = "EMPTY"
value = ""
"""

V01 = """
[project]
id = "old"

[build]
include = ["src/", "package.json"]

[[build.env]]
name = "A"
value = "1"
"""


def _load(tmp_path: Path, text: str) -> ProjectDescriptor | None:
    (tmp_path / "project.toml").write_text(text)
    return load_project(tmp_path / "project.toml")


def test_v02(tmp_path: Path) -> None:
    project = _load(tmp_path, V02)
    assert project is not None
    assert (project.schema_version, project.id, project.name, project.version) == (
        "0.2", "com.example.app", "App", "1.0.0")
    assert project.exclude == ("*.md", "/tests/") and project.include == ()
    assert project.env == {"BP_NODE_VERSION": "20", "EMPTY": ""}
    assert project.raw["io"]["buildpacks"]["builder"] == "ignored/builder"


def test_v01_layout(tmp_path: Path) -> None:
    project = _load(tmp_path, V01)
    assert project is not None
    assert (project.schema_version, project.id) == ("0.1", "old")
    assert project.include == ("src/", "package.json")
    assert project.env == {"A": "1"}


def test_a_v02_layout_without_schema_version_is_read_as_v02_not_dropped(tmp_path: Path) -> None:
    """pack would read it as 0.1 and lose the env; the layout says which schema it is."""
    project = _load(tmp_path, V02.replace('[_]\nschema-version = "0.2"\n', ""))
    assert project is not None and project.schema_version == "0.2"
    assert project.env == {"BP_NODE_VERSION": "20", "EMPTY": ""}
    assert project.exclude == ("*.md", "/tests/")


def test_missing_file_is_none(tmp_path: Path) -> None:
    assert load_project(tmp_path / "project.toml") is None


@pytest.mark.parametrize("text", [
    '[_]\nschema-version = "0.2"\n[io.buildpacks]\ninclude = ["a"]\nexclude = ["b"]\n',
    '[build]\ninclude = ["a"]\nexclude = ["b"]\n',
    "this is = not toml [",
    '[_]\nschema-version = "9.9"\n',
    '[_]\nschema-version = "0.2"\n[io.buildpacks]\nexclude = "not-a-list"\n',
    '[_]\nschema-version = "0.2"\n[[io.buildpacks.build.env]]\nvalue = "no name"\n',
    '[_]\nschema-version = "0.2"\n[[io.buildpacks.build.env]]\nname = "N"\nvalue = 3\n',
    'io = 1\n[_]\nschema-version = "0.2"\n',
    '[build]\ninclude = ["a"]\n[io.buildpacks]\nexclude = ["b"]\n',  # both layouts, no schema-version
])
def test_bad_descriptors_are_usage_errors(tmp_path: Path, text: str) -> None:
    with pytest.raises(UsageError) as err:
        _load(tmp_path, text)
    assert err.value.exit_code == 2
    assert "project.toml" in err.value.message
