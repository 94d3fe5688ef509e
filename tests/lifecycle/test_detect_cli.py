"""`dockless detect` as a user runs it: groups and reasons, and the exit code of a failed detection."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.e2e.cli import assert_clean_error, dockless


def test_detect_shows_the_chosen_group_and_its_reasons(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text(json.dumps({"name": "a", "scripts": {"start": "node a.js"}}))
    run = dockless("detect", str(tmp_path))
    assert run.code == 0, run.stderr
    assert re.search(r"^pass  group \d+: nodejs$", run.stdout, re.M)  # the Node-only group, after Ruby's
    assert "starts with 'node a.js' from scripts.start" in run.stdout
    data = json.loads(dockless("detect", str(tmp_path), "--json").stdout)
    assert data["group"] == ["nodejs"]
    member = data["groups"][0]["buildpacks"][0]
    assert member["provides"] == ["node"] and member["requires"][0]["name"] == "node"


def test_a_broken_package_json_is_exit_2_naming_the_file_line_and_problem(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text('{\n  "name": "a",\n  "dependencies": {"ms": "2.1.3",}\n}\n')
    (tmp_path / "Makefile").write_text("all:\n\ttrue\n")  # nothing any buildpack takes
    run = dockless("detect", str(tmp_path))
    assert_clean_error(run, 2, "package.json is not valid JSON: line 3 column")
    assert "fail  group 1: nodejs" in run.stdout  # every group is still listed


def test_a_broken_file_is_exit_2_even_when_a_later_group_would_pass(tmp_path: Path) -> None:
    """A Procfile does not turn a broken package.json or Gemfile.lock into a Procfile app without its runtime."""
    node = tmp_path / "node"
    node.mkdir()
    (node / "package.json").write_text('{\n  "scripts": {\n    "start": "node index.js",\n  }\n}\n')
    (node / "Procfile").write_text("web: node index.js\n")
    run = dockless("build", str(node), "--image", f"oci:{tmp_path / 'out'}")
    assert_clean_error(run, 2, "package.json is not valid JSON: line 4 column 3", "would build as procfile")
    assert not (tmp_path / "out").exists()
    ruby = tmp_path / "ruby"
    ruby.mkdir()
    (ruby / "Gemfile").write_text("source 'https://rubygems.org'\ngem 'rack'\n")
    (ruby / "Gemfile.lock").write_text("<<<<<<< HEAD\nGEM\n")
    (ruby / "Procfile").write_text("web: ruby app.rb\n")
    assert_clean_error(dockless("detect", str(ruby)), 2, "Gemfile.lock line 1")


def test_nothing_to_detect_is_exit_4_with_every_reason(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("hello\n")
    run = dockless("detect", str(tmp_path))
    assert_clean_error(run, 4, "no package.json, server.js or index.js at the root")


def test_an_unknown_buildpack_is_exit_2(tmp_path: Path) -> None:
    (tmp_path / "server.js").write_text("1")
    run = dockless("detect", str(tmp_path), "--buildpack", str(tmp_path / "no-such-buildpack"))
    assert_clean_error(run, 2, "neither a built-in buildpack nor a directory")


def test_detect_takes_builds_cache_dir_so_scripts_can_share_flags(tmp_path: Path) -> None:
    (tmp_path / "server.js").write_text("require('http').createServer().listen(process.env.PORT)\n")
    run = dockless("detect", str(tmp_path), "--cache-dir", str(tmp_path / "cache"))
    assert run.code == 0, run.stderr
    assert "nodejs" in run.stdout
