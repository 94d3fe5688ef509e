"""project.toml include/exclude patterns, checked against git's own gitignore matcher."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from builder.source._patterns import PatternSet

PATHS = [
    "a.txt", "a.log", "b.log", "README.md", "src/main.js", "src/app.log", "src/lib/util.js",
    "src/lib/deep/x.js", "docs/guide.md", "docs/api/index.md", "build/out.js", "node_modules/x/i.js",
    "tmp/keep.txt", "tmp/drop.txt", "logs/today/err.log", "foo/bar/baz.txt", "bar/file",
    "x/foo/bar/y.txt", "Makefile", "has space.txt", "q1.txt", "qq.txt", "[lit].txt",
]

CASES = [
    ["*.log"],
    ["/a.txt"],
    ["src/"],
    ["docs/*.md"],
    ["docs/**"],
    ["**/lib"],
    ["src/**/x.js"],
    ["foo/bar"],
    ["bar"],
    ["tmp/*", "!tmp/keep.txt"],
    ["*.log", "!src/app.log"],
    ["build/", "!build/out.js"],
    ["q?.txt"],
    ["[ab].*"],
    ["[!ab].txt"],
    ["\\[lit\\].txt"],
    ["has\\ space.txt"],
    ["# comment", "", "Makefile"],
    ["**"],
    ["*/"],
    ["node_modules"],
    ["logs/**/*.log"],
]


def _git_ignored(root: Path, patterns: list[str]) -> set[str]:
    (root / ".git" / "info").mkdir(parents=True, exist_ok=True)
    pattern_file = root / "patterns"
    pattern_file.write_text("\n".join(patterns) + "\n")
    env = {"PATH": os.environ["PATH"], "HOME": str(root), "GIT_CONFIG_NOSYSTEM": "1",
           "GIT_CONFIG_GLOBAL": os.devnull, "LC_ALL": "C"}
    out = subprocess.run(
        ["git", "-c", "core.quotePath=false", "ls-files", "--others", "--ignored", "-z",
         f"--exclude-from={pattern_file}"],
        cwd=root, env=env, capture_output=True, check=True).stdout.decode()
    return {p for p in out.split("\0") if p and p != "patterns"}


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("patterns")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    for rel in PATHS:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(rel)
    return root


@pytest.mark.parametrize("patterns", CASES, ids=[" ".join(c) for c in CASES])
def test_matches_like_git(tree: Path, patterns: list[str]) -> None:
    expected = _git_ignored(tree, patterns)
    compiled = PatternSet.compile(patterns)
    assert {p for p in PATHS if compiled.matches_tree(p, is_dir=False)} == expected


def test_directory_only_pattern() -> None:
    compiled = PatternSet.compile(["cache/"])
    assert compiled.matches("cache", is_dir=True)
    assert compiled.matches("cache", is_dir=False) is None


def test_no_match_is_none() -> None:
    assert PatternSet.compile(["*.js"]).matches("a.py", is_dir=False) is None
