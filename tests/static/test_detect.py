"""The static detector on real files: a site as written, a Node.js build of one, and what is not one."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from builder.errors import UsageError
from detectors.static import StaticDetector


def app(root: Path, files: dict[str, str], package: dict[str, Any] | None = None) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    if package is not None:
        (root / "package.json").write_text(json.dumps(package))
    return root


def vite(**scripts: str) -> dict[str, Any]:
    return {"scripts": {"build": "vite build", **scripts}, "devDependencies": {"vite": "7.3.1"}}


def test_index_html_at_the_root_is_a_site_served_as_it_is(tmp_path: Path) -> None:
    found = StaticDetector().detect(app(tmp_path, {"index.html": "<h1>hi</h1>", "404.html": "no"}), {})
    assert found.passed and found.provides == ("static",)
    assert found.metadata("static") == {"mode": "files", "site": ".", "candidates": ".", "source_index": "",
                                        "tooling": ""}
    assert [r.name for r in found.requires] == ["static"]  # no Node.js asked for
    assert "found index.html at the root" in found.reasons[0]


def test_public_index_html_is_the_site_when_the_root_has_none(tmp_path: Path) -> None:
    found = StaticDetector().detect(app(tmp_path, {"public/index.html": "<h1>hi</h1>", "README.md": "x"}), {})
    assert found.passed and found.metadata("static")["site"] == "public"


def test_no_index_html_fails_with_a_reason(tmp_path: Path) -> None:
    found = StaticDetector().detect(app(tmp_path, {"docs/index.html": "x", "README.md": "x"}), {})
    assert not found.passed and "no index.html at the root or in public/" in found.reasons[0]


def test_a_procfile_web_process_leaves_the_app_to_its_own_start(tmp_path: Path) -> None:
    found = StaticDetector().detect(app(tmp_path, {"index.html": "x", "Procfile": "web: busybox httpd -f\n"}), {})
    assert not found.passed and "Procfile has a web process" in found.reasons[0]


def test_a_vite_build_requires_node_at_build_only(tmp_path: Path) -> None:
    found = StaticDetector().detect(app(tmp_path, {"index.html": "<script src=/src/main.js>"}, vite()), {})
    assert found.passed
    assert found.metadata("node") == {"build": "true", "launch": "false"}
    meta = found.metadata("static")
    assert meta["mode"] == "node-build" and meta["candidates"] == "dist,build,out,public"
    assert "with vite (scripts build)" in found.reasons[0]


def test_create_react_app_dev_server_start_is_not_a_server_and_its_template_is_recorded(tmp_path: Path) -> None:
    template = '<div id="root"></div>'
    package = {"scripts": {"start": "react-scripts start", "build": "react-scripts build"},
               "dependencies": {"react-scripts": "5.0.1", "react": "18.3.1"}}
    found = StaticDetector().detect(app(tmp_path, {"public/index.html": template}, package), {})
    assert found.passed
    digest = hashlib.sha256(template.encode()).hexdigest()
    assert found.metadata("static")["source_index"] == f"public={digest}"


@pytest.mark.parametrize(("package", "files", "why"), [
    ({"scripts": {"build": "vite build", "start": "node server.js"}, "devDependencies": {"vite": "7"}}, {},
     "scripts.start runs 'node server.js': a Node.js server"),
    ({"scripts": {"build": "next build", "start": "next start"}, "dependencies": {"next": "15"}}, {},
     "scripts.start runs 'next start'"),
    (vite(), {"server.js": "require('http')"}, "found server.js: a Node.js server"),
    ({"scripts": {"build": "tsc"}, "devDependencies": {"typescript": "5"}}, {"index.html": "x"},
     "no static-site tool among its dependencies"),
    ({"devDependencies": {"vite": "7"}}, {"src/main.js": "x"}, "package.json has no build script"),
])
def test_a_package_json_app_that_is_not_a_static_build_fails(tmp_path: Path, package: dict[str, Any],
                                                             files: dict[str, str], why: str) -> None:
    found = StaticDetector().detect(app(tmp_path, files, package), {})
    assert not found.passed and why in found.reasons[0], found.reasons


def test_heroku_postbuild_counts_as_the_build_step(tmp_path: Path) -> None:
    package = {"scripts": {"heroku-postbuild": "vite build"}, "devDependencies": {"vite": "7"}}
    assert StaticDetector().detect(app(tmp_path, {}, package), {}).passed


def test_a_malformed_package_json_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text('{"scripts": {,}')
    with pytest.raises(UsageError, match="package.json is not valid JSON: line 1"):
        StaticDetector().detect(tmp_path, {})


def test_a_site_with_a_package_json_for_tooling_only_is_served_as_written(tmp_path: Path) -> None:
    package = {"devDependencies": {"prettier": "3.3.3"}, "scripts": {"lint": "prettier --check ."}}
    found = StaticDetector().detect(app(tmp_path, {"index.html": "<h1>"}, package), {})
    assert found.passed and found.metadata("static")["site"] == "."
    assert found.metadata("static")["tooling"] == "package.json"
    assert found.metadata("node") == {"build": "true", "launch": "false"}
    assert not StaticDetector().detect(app(tmp_path, {"server.js": "x"}), {}).passed  # Node.js would start it


def test_the_nodejs_detector_says_build_only_when_static_serves_the_build(tmp_path: Path) -> None:
    """`dockless detect` on a Vite site prints nodejs's reasons too: no "no start command found" problem there."""
    from detectors.nodejs import NodeDetector

    site = NodeDetector().detect(app(tmp_path / "vite", {"index.html": "<div id=app>"}, vite()), {})
    assert site.passed
    assert site.reasons[-1] == ("build-only: no start command of its own, the static buildpack serves what the "
                                "build writes")
    tool = NodeDetector().detect(app(tmp_path / "lib", {"lib.js": ""}, {"scripts": {"build": "tsc"}}), {})
    assert tool.reasons[-1].startswith("no start command found: add a Procfile 'web:' line")  # static fails there
