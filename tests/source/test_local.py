"""fetch_source on local directories: the clean copy, symlinks, modes, subdir, provenance."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

import builder.source as source
from builder.errors import SourceError, UsageError
from builder.source import SourceSpec, Workspace, fetch_source
from tests.infra.gitdaemon import git_env


def _files(root: Path) -> set[str]:
    """Every path under root (files, links, dirs) relative to it."""
    return {str(p.relative_to(root)) for p in root.rglob("*")}


@pytest.fixture
def app(tmp_path: Path) -> Path:
    root = tmp_path / "app"
    (root / "src").mkdir(parents=True)
    (root / "package.json").write_text('{"name": "app"}')
    (root / "src" / "index.js").write_text("console.log(1)")
    run = root / "bin" / "run"
    run.parent.mkdir()
    run.write_text("#!/bin/sh\n")
    run.chmod(0o755)
    (root / ".npmrc").write_text("//registry/:_authToken=x")
    (root / ".git").mkdir()
    (root / ".git" / "config").write_text("[core]")
    (root / "vendor" / ".git").parent.mkdir()
    (root / "vendor" / ".git").write_text("gitdir: ../.git/modules/vendor")
    (root / ".hg").mkdir()
    (root / ".svn").mkdir()
    (root / "empty").mkdir()
    return root


def test_copies_tree_without_vcs_metadata(app: Path, tmp_path: Path) -> None:
    logs: list[str] = []
    ws = fetch_source(SourceSpec(str(app)), tmp_path / "ws", log=logs.append)
    assert ws == Workspace(path=tmp_path / "ws")
    assert _files(ws.path) == {"package.json", "src", "src/index.js", "bin", "bin/run", ".npmrc",
                               "vendor", "empty"}
    assert os.stat(ws.path / "bin" / "run").st_mode & stat.S_IXUSR
    assert not os.stat(ws.path / "package.json").st_mode & stat.S_IXUSR
    assert (app / ".git" / "config").exists(), "the source is left alone"
    assert any("using directory" in line for line in logs)


def test_never_ship_names_are_documented_constants() -> None:
    assert source.NEVER_SHIP == frozenset({".git", ".npmrc", ".docker"})
    assert {".git", ".hg", ".svn"} <= source.VCS_NAMES


def test_symlinks_inside_kept_outside_dropped(app: Path, tmp_path: Path) -> None:
    secret = tmp_path / "host-secret"
    secret.write_text("root password")
    (app / "link-in").symlink_to("src/index.js")
    (app / "src" / "up").symlink_to("../package.json")
    (app / "dir-link").symlink_to("src")
    (app / "dangling-in").symlink_to("dist/out.js")
    (app / "link-abs").symlink_to(secret)
    (app / "link-up").symlink_to("../host-secret")
    (app / "src" / "sneaky").symlink_to("../../host-secret")
    logs: list[str] = []
    ws = fetch_source(SourceSpec(str(app)), tmp_path / "ws", log=logs.append)
    assert os.readlink(ws.path / "link-in") == "src/index.js"
    assert os.readlink(ws.path / "src" / "up") == "../package.json"
    assert os.readlink(ws.path / "dir-link") == "src"
    assert os.readlink(ws.path / "dangling-in") == "dist/out.js"
    for gone in ("link-abs", "link-up", "src/sneaky"):
        assert not (ws.path / gone).is_symlink() and not (ws.path / gone).exists()
    assert sum("leads outside the source tree" in line for line in logs) == 3


def test_special_files_are_skipped(app: Path, tmp_path: Path) -> None:
    os.mkfifo(app / "pipe")
    logs: list[str] = []
    ws = fetch_source(SourceSpec(str(app)), tmp_path / "ws", log=logs.append)
    assert not (ws.path / "pipe").exists()
    assert any("pipe" in line for line in logs)


def test_subdir(app: Path, tmp_path: Path) -> None:
    ws = fetch_source(SourceSpec(str(app), subdir="./src/"), tmp_path / "ws")
    assert ws.subdir == "src"
    assert _files(ws.path) == {"index.js"}


@pytest.mark.parametrize("subdir", ["../app", "/etc", "src/../../x", ".git", "vendor/.git"])
def test_subdir_escaping_or_into_vcs_is_refused(app: Path, tmp_path: Path, subdir: str) -> None:
    with pytest.raises(SourceError) as err:
        fetch_source(SourceSpec(str(app), subdir=subdir), tmp_path / "ws")
    assert err.value.exit_code == 3
    assert not (tmp_path / "ws").exists(), "a failed fetch leaves no half-made workspace"


def test_subdir_symlink_out_is_refused(app: Path, tmp_path: Path) -> None:
    (tmp_path / "elsewhere").mkdir()
    (app / "out").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(SourceError, match="leads outside"):
        fetch_source(SourceSpec(str(app), subdir="out"), tmp_path / "ws")


def test_subdir_symlink_inside_is_followed(app: Path, tmp_path: Path) -> None:
    (app / "alias").symlink_to("src")
    ws = fetch_source(SourceSpec(str(app), subdir="alias"), tmp_path / "ws")
    assert _files(ws.path) == {"index.js"}


def test_missing_subdir(app: Path, tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="'nope' does not exist"):
        fetch_source(SourceSpec(str(app), subdir="nope"), tmp_path / "ws")


def test_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="does not exist") as err:
        fetch_source(SourceSpec(str(tmp_path / "nope")), tmp_path / "ws")
    assert err.value.exit_code == 3
    (tmp_path / "file").write_text("x")
    with pytest.raises(SourceError, match="is not a directory"):
        fetch_source(SourceSpec(str(tmp_path / "file")), tmp_path / "ws")


def test_dest_inside_source_is_not_copied_into_itself(app: Path) -> None:
    ws = fetch_source(SourceSpec(str(app)), app / ".cache" / "ws")
    assert not (ws.path / ".cache" / "ws").exists()
    assert (ws.path / "src" / "index.js").exists()


def test_dest_must_be_empty(app: Path, tmp_path: Path) -> None:
    (tmp_path / "ws").mkdir()
    (tmp_path / "ws" / "x").write_text("x")
    with pytest.raises(ValueError):
        fetch_source(SourceSpec(str(app)), tmp_path / "ws")
    (tmp_path / "empty-ws").mkdir()
    assert fetch_source(SourceSpec(str(app)), tmp_path / "empty-ws").path == tmp_path / "empty-ws"


def test_existing_empty_dest_is_emptied_again_on_failure(app: Path, tmp_path: Path) -> None:
    (app / "project.toml").write_text("not toml [")
    (tmp_path / "ws").mkdir()
    with pytest.raises(UsageError):
        fetch_source(SourceSpec(str(app)), tmp_path / "ws")
    assert (tmp_path / "ws").is_dir() and not any((tmp_path / "ws").iterdir())


def test_project_exclude(app: Path, tmp_path: Path) -> None:
    (app / "project.toml").write_text(
        '[_]\nschema-version = "0.2"\n[io.buildpacks]\nexclude = ["*.md", "bin/", "empty"]\n'
        '[[io.buildpacks.build.env]]\nname = "BP_NODE_VERSION"\nvalue = "20"\n')
    (app / "README.md").write_text("x")
    (app / "src" / "NOTES.md").write_text("x")
    ws = fetch_source(SourceSpec(str(app)), tmp_path / "ws")
    assert _files(ws.path) == {"package.json", "src", "src/index.js", ".npmrc", "vendor", "project.toml"}
    assert ws.build_env == {"BP_NODE_VERSION": "20"}
    assert ws.project is not None and ws.project.exclude == ("*.md", "bin/", "empty")


def test_project_include(app: Path, tmp_path: Path) -> None:
    (app / "project.toml").write_text('[build]\ninclude = ["src/", "package.json", "/empty"]\n')
    ws = fetch_source(SourceSpec(str(app)), tmp_path / "ws")
    assert _files(ws.path) == {"package.json", "src", "src/index.js", "empty"}


def test_project_toml_is_read_from_the_subdir(app: Path, tmp_path: Path) -> None:
    (app / "project.toml").write_text('[build]\nexclude = ["*.js"]\n')
    (app / "src" / "project.toml").write_text('[build]\nexclude = ["nothing"]\n[[build.env]]\nname="X"\nvalue="y"\n')
    ws = fetch_source(SourceSpec(str(app), subdir="src"), tmp_path / "ws")
    assert (ws.path / "index.js").exists()
    assert ws.build_env == {"X": "y"}


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, env=git_env(cwd), check=True,
                          capture_output=True, text=True).stdout.strip()


@pytest.fixture
def local_repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "web").mkdir(parents=True)
    (root / "web" / "server.js").write_text("v1")
    _git(root, "init", "-q", "--initial-branch=main")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "one")
    _git(root, "tag", "v1")
    (root / "web" / "server.js").write_text("v2")
    _git(root, "commit", "-qam", "two")
    _git(root, "remote", "add", "origin", "https://bot:s3cret-token@example.com/org/repo.git")
    return root


def test_local_git_repo_is_used_as_a_working_tree_with_provenance(local_repo: Path, tmp_path: Path) -> None:
    (local_repo / "web" / "server.js").write_text("uncommitted")
    logs: list[str] = []
    ws = fetch_source(SourceSpec(str(local_repo / "web")), tmp_path / "ws", log=logs.append)
    assert (ws.path / "server.js").read_text() == "uncommitted"
    assert ws.commit == _git(local_repo, "rev-parse", "HEAD")
    assert ws.commit_time == 1704067200
    assert ws.url == "https://***@example.com/org/repo.git"
    assert any("uncommitted changes" in line for line in logs)
    assert not any("s3cret" in line for line in logs)


def test_changes_outside_the_built_directory_are_not_reported(local_repo: Path, tmp_path: Path) -> None:
    (local_repo / "elsewhere.txt").write_text("another app's edit")
    logs: list[str] = []
    fetch_source(SourceSpec(str(local_repo / "web")), tmp_path / "ws", log=logs.append)
    assert not any("uncommitted changes" in line for line in logs)
    (local_repo / "web" / "new.js").write_text("untracked, but built")
    fetch_source(SourceSpec(str(local_repo / "web")), tmp_path / "ws2", log=logs.append)
    assert any("uncommitted changes" in line for line in logs)


def test_local_git_repo_with_revision_builds_that_revision(local_repo: Path, tmp_path: Path) -> None:
    logs: list[str] = []
    ws = fetch_source(SourceSpec(str(local_repo / "web"), revision="v1"), tmp_path / "ws", log=logs.append)
    assert (ws.path / "server.js").read_text() == "v1"
    assert ws.commit == _git(local_repo, "rev-parse", "v1")
    assert ws.url == "https://***@example.com/org/repo.git"
    assert ws.revision == "v1" and ws.subdir is None
    assert _files(ws.path) == {"server.js"}


def test_revision_on_a_plain_directory_is_a_usage_error(app: Path, tmp_path: Path) -> None:
    import shutil
    shutil.rmtree(app / ".git")
    with pytest.raises(UsageError, match="plain directory"):
        fetch_source(SourceSpec(str(app), revision="main"), tmp_path / "ws")


def test_public_api() -> None:
    assert sorted(source.__all__) == sorted([
        "NEVER_SHIP", "VCS_NAMES", "GitUrl", "LocalDir", "ProjectDescriptor", "SourceSpec", "Workspace",
        "classify_source", "fetch_source", "load_project", "parse_project", "redact_text", "redact_url",
        "Declaration", "EnclosingRoot", "declaration", "dependency_names", "member_dirs", "package_name",
        "url_secrets"])
    for name in source.__all__:
        assert getattr(source, name).__doc__ or name.isupper(), name


def test_local_directories_need_no_git_binary(app: Path, tmp_path: Path) -> None:
    """GitPython refuses to import without git; a local build must still work, a URL must say why."""
    import sys
    script = (
        "import pathlib, sys\n"
        "from builder.source import SourceSpec, fetch_source\n"
        "from builder.errors import SourceError\n"
        "ws = fetch_source(SourceSpec(sys.argv[1]), pathlib.Path(sys.argv[2]))\n"
        "assert ws.commit is None and (ws.path / 'package.json').exists()\n"
        "try:\n"
        "    fetch_source(SourceSpec('git://127.0.0.1:1/x.git'), pathlib.Path(sys.argv[2] + '2'))\n"
        "except SourceError as err:\n"
        "    print(err.message)\n")
    proc = subprocess.run([sys.executable, "-c", script, str(app), str(tmp_path / "ws")],
                          env={"PATH": "/nonexistent", "PYTHONPATH": str(Path(__file__).parents[2])},
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "git is not installed" in proc.stdout


def test_a_work_tree_is_built_as_its_clone_would_be_without_what_git_ignores(local_repo: Path, tmp_path: Path) -> None:
    """.env, node_modules/ and __pycache__/ that git ignores stay out, as they would from a clone; a tracked file
    matching an ignore pattern and an untracked file git does not ignore are built."""
    web = local_repo / "web"
    (local_repo / ".gitignore").write_text(".env\nnode_modules/\n__pycache__/\n*.log\n")
    (web / "forced.log").write_text("tracked although ignored")
    _git(local_repo, "add", ".gitignore")
    _git(local_repo, "add", "-f", "web/forced.log")
    _git(local_repo, "commit", "-qm", "ignore")
    (web / ".env").write_text("SECRET_TOKEN=dotenvsecret123\n")
    (web / "node_modules" / "left-pad").mkdir(parents=True)
    (web / "node_modules" / "left-pad" / "index.js").write_text("x")
    (web / "__pycache__").mkdir()
    (web / "__pycache__" / "app.cpython-311.pyc").write_bytes(b"\0")
    (web / "debug.log").write_text("ignored")
    (web / "new.js").write_text("untracked, not ignored: built")
    logs: list[str] = []
    ws = fetch_source(SourceSpec(str(local_repo), subdir="web"), tmp_path / "ws", log=logs.append)
    assert _files(ws.path) == {"server.js", "forced.log", "new.js"}
    (line,) = [line for line in logs if "git ignores" in line]
    assert ".env" in line and "node_modules" in line and "include" in line
    assert not any("dotenvsecret123" in line for line in logs)


def test_project_toml_include_takes_files_git_ignores(local_repo: Path, tmp_path: Path) -> None:
    web = local_repo / "web"
    (local_repo / ".gitignore").write_text("dist/\n")
    (web / "dist").mkdir()
    (web / "dist" / "index.html").write_text("built locally")
    (web / "project.toml").write_text('[_]\nschema-version = "0.2"\n[io.buildpacks]\ninclude = ["dist/", "*.js"]\n')
    ws = fetch_source(SourceSpec(str(web)), tmp_path / "ws")
    assert {"dist/index.html", "server.js"} <= _files(ws.path)


def test_a_dot_env_outside_any_work_tree_ships_and_is_said_out_loud(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "app.py").write_text("print(1)\n")
    (plain / ".env").write_text("A=1\n")
    logs: list[str] = []
    ws = fetch_source(SourceSpec(str(plain)), tmp_path / "ws", log=logs.append)
    assert (ws.path / ".env").is_file()
    assert any(".env is built into the image" in line and "exclude" in line for line in logs)


def test_a_subdir_that_is_a_file_says_so(app: Path, tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"'src/index.js' is a file .*, not a directory") as err:
        fetch_source(SourceSpec(str(app), subdir="src/index.js"), tmp_path / "ws")
    assert err.value.exit_code == 3 and "--subdir src" in err.value.hint
