"""--subdir inside a JS workspace: the SOURCE stage keeps the workspace root and records the member.

Sources are the real example (examples/nodejs-workspace) as a local directory
and as a git:// repository, and small workspaces written by the tests.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from builder.errors import SourceError
from builder.source import SourceSpec, fetch_source
from builder.source._monorepo import declaration, enclosing_root, is_member, member_dirs
from tests.infra.gitdaemon import GitDaemon

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "nodejs-workspace"


def _files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def _write(root: Path, files: dict[str, str | dict[str, object]]) -> Path:
    for rel, content in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(content if isinstance(content, str) else json.dumps(content))
    return root


@pytest.fixture
def example(tmp_path: Path) -> Path:
    return Path(shutil.copytree(EXAMPLE, tmp_path / "monorepo"))


def test_member_subdir_keeps_the_workspace_root(example: Path, tmp_path: Path) -> None:
    logs: list[str] = []
    ws = fetch_source(SourceSpec(str(example), subdir="app/api"), tmp_path / "ws", log=logs.append)
    assert ws.subdir == "app/api" and ws.app_dir == "app/api"
    files = _files(ws.path)
    assert {"package.json", "package-lock.json", "app/api/server.js", "packages/shared/index.js"} <= files
    assert "app/web/server.js" in files  # the buildpack, which knows the dependency graph, leaves it out of the image
    assert any("is a member of the npm/yarn workspace at the root of the source (package.json)" in line
               for line in logs)


def test_member_from_git_url(example: Path, git_daemon: GitDaemon, tmp_path: Path) -> None:
    url = git_daemon.publish_repo("monorepo-src", example)
    ws = fetch_source(SourceSpec(url, subdir="app/api/"), tmp_path / "ws")
    assert ws.app_dir == "app/api" and ws.commit is not None
    assert (ws.path / "package-lock.json").read_bytes() == (example / "package-lock.json").read_bytes()
    assert (ws.path / "packages" / "shared" / "index.js").is_file()


def test_non_member_that_uses_a_member_is_refused_in_one_line(example: Path, tmp_path: Path) -> None:
    with pytest.raises(SourceError) as err:
        fetch_source(SourceSpec(str(example), subdir="tools/cli"), tmp_path / "ws")
    assert err.value.message == ("--subdir tools/cli depends on @demo/shared of the npm/yarn workspace at the "
                                 "root of the source, but is not one of its members (package.json lists app/*, "
                                 "packages/*)")
    assert "add 'tools/cli' to the members in package.json" in err.value.hint
    assert err.value.exit_code == 3
    assert not (tmp_path / "ws").exists()


def test_non_member_with_no_member_dependency_is_built_alone(example: Path, tmp_path: Path) -> None:
    _write(example, {"tools/lint/package.json": {"name": "lint", "dependencies": {"ms": "2.1.3"}},
                     "tools/lint/index.js": "x"})
    logs: list[str] = []
    ws = fetch_source(SourceSpec(str(example), subdir="tools/lint"), tmp_path / "ws", log=logs.append)
    assert ws.app_dir == ""
    assert _files(ws.path) == {"package.json", "index.js"}
    assert any("not one of its members: building it alone" in line for line in logs)


def test_subdir_outside_any_workspace_is_unchanged(tmp_path: Path) -> None:
    src = _write(tmp_path / "src", {"services/web/package.json": {"name": "web"}, "services/web/server.js": "x",
                                    "README.md": "r"})
    ws = fetch_source(SourceSpec(str(src), subdir="services/web"), tmp_path / "ws")
    assert ws.app_dir == "" and _files(ws.path) == {"package.json", "server.js"}


def test_nested_workspace_root_and_pnpm_declaration(tmp_path: Path) -> None:
    src = _write(tmp_path / "src", {
        "README.md": "r",
        "js/package.json": {"name": "root", "private": True},
        "js/pnpm-workspace.yaml": "# members\npackages:\n  - 'apps/*'\n  - \"libs/**\"\n  - '!libs/old'\n"
                                  "catalog:\n  ms: 2.1.3\n",
        "js/pnpm-lock.yaml": "lockfileVersion: '9.0'\n",
        "js/apps/api/package.json": {"name": "api"},
        "js/libs/util/package.json": {"name": "util"},
    })
    ws = fetch_source(SourceSpec(str(src), subdir="js/apps/api"), tmp_path / "ws")
    assert ws.app_dir == "apps/api"
    assert _files(ws.path) == {"package.json", "pnpm-workspace.yaml", "pnpm-lock.yaml", "apps/api/package.json",
                               "libs/util/package.json"}
    found = declaration(src / "js")
    assert found is not None and found.patterns == ("apps/*", "libs/**", "!libs/old")


def test_project_toml_of_the_member_filters_only_the_member(example: Path, tmp_path: Path) -> None:
    _write(example, {"app/api/project.toml": '[_]\nschema-version = "0.2"\n[io.buildpacks]\nexclude = ["*.md"]\n',
                     "app/api/NOTES.md": "n", "packages/shared/README.md": "kept"})
    ws = fetch_source(SourceSpec(str(example), subdir="app/api"), tmp_path / "ws")
    files = _files(ws.path)
    assert "app/api/NOTES.md" not in files and "app/api/server.js" in files
    assert "packages/shared/README.md" in files and "README.md" in files


@pytest.mark.parametrize(("path", "patterns", "expected"), [
    ("app/api", ("app/*", "packages/*"), True),
    ("app/api/v2", ("app/*",), False),
    ("libs/a/b", ("libs/**",), True),
    ("libs/old", ("libs/**", "!libs/old"), False),
    ("packages/x", ("./packages/*/",), True),
    ("tools/cli", ("app/*", "packages/*"), False),
])
def test_is_member(path: str, patterns: tuple[str, ...], expected: bool) -> None:
    assert is_member(path, patterns) is expected


def test_member_dirs_and_yarn_classic_form(tmp_path: Path) -> None:
    src = _write(tmp_path / "src", {
        "package.json": {"private": True, "workspaces": {"packages": ["packages/*"], "nohoist": ["**/x"]}},
        "packages/a/package.json": {"name": "a"},
        "packages/b/README.md": "no package.json: not a member",
        "packages/a/node_modules/z/package.json": {"name": "z"},
    })
    found = declaration(src)
    assert found is not None and found.patterns == ("packages/*",)
    assert list(member_dirs(src, found.patterns)) == ["packages/a"]
    assert enclosing_root(src, "packages/b", log=lambda _: None) is None
