"""A work tree owned by another uid (a Tekton step's clone) is read as one's own: commit, time, ignored files.

Real git: the repository is chowned to a uid that is not ours, which git itself refuses
("detected dubious ownership") unless told the directory is safe.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from builder.source._local import _reason, git_ignored, read_only_env, read_provenance

OTHER_UID = 4321


def git(cwd: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_DATE": "2026-01-02T03:04:05Z", "GIT_COMMITTER_DATE": "2026-01-02T03:04:05Z"}
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@e", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, check=True).stdout


@pytest.fixture
def foreign_tree(tmp_path: Path) -> Path:
    if os.geteuid() != 0:
        pytest.skip("needs root to give the tree to another uid")
    root = tmp_path / "source"
    root.mkdir()
    git(root, "init", "-q")
    (root / ".gitignore").write_text("node_modules/\n.env\n")
    (root / "index.js").write_text("console.log(1)\n")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "one")
    (root / ".env").write_text("SECRET=1\n")
    (root / "node_modules").mkdir()
    for path in [root, *root.rglob("*")]:
        os.lchown(path, OTHER_UID, OTHER_UID)
    refused = subprocess.run(["git", "status"], cwd=root, capture_output=True, text=True)
    assert refused.returncode != 0 and "dubious ownership" in refused.stderr  # git's own guard is on
    return root


def test_a_tree_owned_by_another_uid_has_provenance_and_ignored_files(foreign_tree: Path) -> None:
    logged: list[str] = []
    provenance = read_provenance(foreign_tree, log=logged.append)
    assert provenance is not None, logged
    assert provenance.commit == git(foreign_tree, "-c", "safe.directory=*", "rev-parse", "HEAD").strip()
    assert provenance.commit_time == 1767323045
    assert git_ignored(foreign_tree, log=logged.append) == {".env", "node_modules"}
    assert logged == []


def test_read_only_env_appends_to_the_callers_config_entries() -> None:
    env = read_only_env({"GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "http.proxy", "GIT_CONFIG_VALUE_0": "x"})
    assert env == {"GIT_CONFIG_COUNT": "3", "GIT_CONFIG_KEY_1": "safe.directory", "GIT_CONFIG_VALUE_1": "*",
                   "GIT_CONFIG_KEY_2": "core.fsmonitor", "GIT_CONFIG_VALUE_2": "false"}


def test_a_git_failure_is_named_by_gits_first_line(tmp_path: Path) -> None:
    from git import Git
    from git.exc import GitCommandError

    with pytest.raises(GitCommandError) as caught:
        Git(str(tmp_path)).rev_parse("HEAD")
    assert _reason(caught.value) == "not a git repository (or any of the parent directories): .git"
