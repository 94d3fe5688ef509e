"""A group of two external buildpacks, detected and built by the lifecycle's own phases (host executor).

The example buildpacks in examples/buildpacks: greet-tool leaves a `build` layer
with bin/greet; greeting-page runs `greet` in its bin/build and ships the
greeting in a launch layer with a `web` process.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from builder.errors import DetectionError
from builder.lifecycle.build import build_group
from builder.lifecycle.contract import DetectContext, Process, Require
from builder.lifecycle.detect import detect, require
from builder.lifecycle.layercache import DirLayerCache
from builder.lifecycle.pipeline import resolve_order

from .support import host_executor, write_buildpack
from .test_build import LAYERS_BUILD

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "buildpacks"
TOOL, PAGE = str(EXAMPLES / "greet-tool"), str(EXAMPLES / "greeting-page")


def _app(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    shutil.copytree(EXAMPLES / "greeting-app", ws)
    return ws


def test_a_build_layer_of_one_buildpack_is_used_by_the_next(tmp_path: Path) -> None:
    ws = _app(tmp_path)
    executor = host_executor(ws)
    detected = detect(DetectContext(ws, {"GREETING_NAME": "Knative"}, executor), resolve_order([TOOL, PAGE], {}))
    group = require(detected)
    assert detected.buildpack_ids == ("examples/greet-tool", "examples/greeting-page")
    assert group[0].plan.entries == (Require("greet", {"build": "true"}),)  # greeting-page's requirement
    logged: list[str] = []
    result = build_group(group, workspace=ws, layers_root=tmp_path / "layers", env={"GREETING_NAME": "Knative"},
                         executor=lambda: executor, cache=DirLayerCache(tmp_path / "cache"),
                         download_dir=tmp_path / "downloads", log=logged.append)
    greet, greeting = (o.layer for o in result.layers)
    assert (greet.build, greet.launch) == (True, False) and greet.target == "/layers/examples_greet-tool/greet"
    assert (greeting.launch, greeting.build) == (True, False)
    # `greet` was on greeting-page's PATH and its GREET_STYLE (env.build of greet-tool's layer) in its env
    assert (greeting.path / "greeting.txt").read_text() == "Hello, Knative! (from greet-tool, friendly)\n"
    assert greeting.launch_env == {
        "GREETING_FILE.default": "/layers/examples_greeting-page/greeting/greeting.txt"}
    assert result.launch_layers == (result.layers[1],)
    assert result.processes == (Process("web", ("node",), ("server.js",), default=True),)


def test_a_required_member_that_answers_100_fails_the_group_naming_it(tmp_path: Path) -> None:
    ws = _app(tmp_path)
    (ws / "greeting.conf").unlink()
    detected = detect(DetectContext(ws, {}, host_executor(ws)), resolve_order([TOOL, PAGE], {}))
    with pytest.raises(DetectionError) as caught:
        require(detected)
    assert caught.value.exit_code == 4
    assert "examples/greeting-page: bin/detect did not pass (exit 100), no greeting.conf in the app" \
        in caught.value.message


def test_a_layer_that_is_neither_launch_build_nor_cache_is_dropped(tmp_path: Path) -> None:
    root = write_buildpack(tmp_path / "bp", "example/web", build=LAYERS_BUILD)
    ws = tmp_path / "ws"
    ws.mkdir()
    executor = host_executor(ws)
    group = require(detect(DetectContext(ws, {}, executor), resolve_order([str(root)], {})))
    logged: list[str] = []
    result = build_group(group, workspace=ws, layers_root=tmp_path / "layers", env={"GREETING": "x"},
                         executor=lambda: executor, cache=DirLayerCache(tmp_path / "cache"),
                         download_dir=tmp_path / "downloads", log=logged.append)
    assert [o.layer.name for o in result.layers] == ["tools", "web"]
    assert "example/web: layer temp is neither launch, build nor cache: dropped" in logged
