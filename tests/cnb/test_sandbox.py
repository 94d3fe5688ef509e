"""External buildpacks in the bubblewrap sandbox over the real build root: the CNB paths, read-only where the
spec says, and the two-buildpack group (a build layer mounted read-only for the next buildpack)."""

from __future__ import annotations

from pathlib import Path

from builder.lifecycle.build import build_group
from builder.lifecycle.cnb import CnbBuildpack
from builder.lifecycle.contract import DetectContext
from builder.lifecycle.detect import detect, require
from builder.lifecycle.layercache import DirLayerCache
from builder.lifecycle.pipeline import resolve_order

from .support import build_ctx, detect_ctx, sandbox_executor, write_buildpack
from .test_group import PAGE, TOOL, _app

PROBE_DETECT = """#!/bin/sh
echo "bp=$CNB_BUILDPACK_DIR plan=$CNB_BUILD_PLAN_PATH platform=$CNB_PLATFORM_DIR cwd=$(pwd) uid=$(id -u)"
touch /workspace/x 2>/dev/null && echo "workspace=writable" || echo "workspace=read-only"
echo "name=$(cat "$CNB_PLATFORM_DIR/env/NAME")"
"""

PROBE_BUILD = """#!/bin/sh
set -eu
echo "layers=$CNB_LAYERS_DIR bp=$CNB_BUILDPACK_DIR plan=$CNB_BP_PLAN_PATH"
touch "$CNB_BUILDPACK_DIR/x" 2>/dev/null && echo "bpdir=writable" || echo "bpdir=read-only"
touch /workspace/built && echo "workspace=writable"
mkdir -p "$CNB_LAYERS_DIR/probe"
printf '[types]\\nlaunch = true\\n' > "$CNB_LAYERS_DIR/probe.toml"
"""


def test_detect_and_build_see_the_cnb_paths_in_the_sandbox(tmp_path: Path, build_root: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    bp = CnbBuildpack.load(write_buildpack(tmp_path / "bp", "example/probe", version="1.0",
                                           detect=PROBE_DETECT, build=PROBE_BUILD))
    lines: list[str] = []
    detection = bp.detect(detect_ctx(ws, sandbox_executor(build_root, ws, lines), {"NAME": "sandboxed"}))
    assert detection.passed, detection.reasons
    assert ("bp=/cnb/buildpacks/example_probe/1.0 plan=/cnb/plan/plan.toml platform=/platform cwd=/workspace "
            "uid=1000") in lines
    assert "workspace=read-only" in lines and "name=sandboxed" in lines
    assert not (ws / "x").exists()

    lines.clear()
    result = bp.build(build_ctx(tmp_path, ws, sandbox_executor(build_root, ws, lines), bp_id="example/probe"))
    assert "layers=/layers/example_probe bp=/cnb/buildpacks/example_probe/1.0 plan=/cnb/plan/plan.toml" in lines
    assert "bpdir=read-only" in lines and "workspace=writable" in lines
    assert (ws / "built").exists() and not (tmp_path / "bp" / "x").exists()
    [probe] = result.layers
    assert probe.launch and probe.target == "/layers/example_probe/probe" and probe.path.is_dir()


def test_the_two_buildpack_group_builds_in_the_sandbox(tmp_path: Path, build_root: Path) -> None:
    ws = _app(tmp_path)
    executor = sandbox_executor(build_root, ws)
    group = require(detect(DetectContext(ws, {}, executor), resolve_order([TOOL, PAGE], {})))
    result = build_group(group, workspace=ws, layers_root=tmp_path / "layers", env={},
                         executor=lambda: executor, cache=DirLayerCache(tmp_path / "cache"),
                         download_dir=tmp_path / "downloads", log=lambda line: None)
    greeting = result.layers[-1].layer
    assert (greeting.path / "greeting.txt").read_text() == "Hello, World! (from greet-tool, friendly)\n"
    assert greeting.launch_env == {"GREETING_FILE.default": "/layers/examples_greeting-page/greeting/greeting.txt"}
