"""bin/build run through the production host executor: layers, env files, processes, the plan, the cache."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from builder.errors import BuildError
from builder.lifecycle.cnb import CnbBuildpack
from builder.lifecycle.contract import Process, Require

from .support import build_ctx, host_executor, write_buildpack

LAYERS_BUILD = r"""#!/bin/sh
set -eu
L="$CNB_LAYERS_DIR"
mkdir -p "$L/web/bin" "$L/web/env" "$L/web/env.launch" "$L/tools/bin" "$L/tools/env.build" "$L/scratch" "$L/temp"
printf '#!/bin/sh\necho hi\n' > "$L/web/bin/hello" && chmod +x "$L/web/bin/hello"
printf 'production' > "$L/web/env.launch/APP_ENV.default"
printf '%s' "$L/web/bin" > "$L/web/env.launch/WEB_BIN.override"
printf '%s/public' "$(pwd)" > "$L/web/env.launch/STATIC_DIR.override"
printf '/opt/x' > "$L/web/env/XPATH.append"
printf ':' > "$L/web/env/XPATH.delim"
printf 'on' > "$L/tools/env.build/TOOLS_MODE.override"
cp "$CNB_BP_PLAN_PATH" "$L/web/plan.toml"
cp "$CNB_PLATFORM_DIR/env/GREETING" "$L/web/greeting"
echo "${GREETING:-unset}" > "$L/web/process-env"
pwd > "$L/web/cwd"
cat > "$L/web.toml" <<'TOML'
[types]
launch = true

[metadata]
version = "1.0"
port = 8080
TOML
printf '[types]\nbuild = true\ncache = false\n' > "$L/tools.toml"
printf '[metadata]\nwhy = "no types: the group drops it"\n' > "$L/temp.toml"
printf '[types]\nlaunch = true\n' > "$L/ghost.toml"
cat > "$L/launch.toml" <<'TOML'
[[processes]]
type = "web"
command = ["hello"]
args = ["--port", "8080"]
default = true

[[processes]]
type = "worker"
command = ["/bin/sh", "-c", "echo work"]
working-dir = "jobs"
TOML
"""


def test_layers_types_env_files_and_processes_are_read_back(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    logged: list[str] = []
    bp = CnbBuildpack.load(write_buildpack(tmp_path / "bp", "example/web", build=LAYERS_BUILD))
    result = bp.build(build_ctx(tmp_path, ws, host_executor(ws), bp_id="example/web", env={"GREETING": "hi there"},
                                entries=(Require("web", {"build": "true"}),), log=logged))
    layers = {layer.name: layer for layer in result.layers}
    assert sorted(layers) == ["temp", "tools", "web"]  # scratch/ has no toml, ghost.toml no directory
    assert any("scratch has no scratch.toml" in line for line in logged)
    assert any("ghost.toml has no layer directory" in line for line in logged)
    web, tools, temp = layers["web"], layers["tools"], layers["temp"]
    assert (web.launch, web.build, web.cache) == (True, False, False)
    assert (tools.launch, tools.build, tools.cache) == (False, True, False)
    assert (temp.launch, temp.build, temp.cache) == (False, False, False)
    assert web.target == "/layers/example_web/web" and web.path.name == "web"
    assert web.metadata == {"version": "1.0", "port": "8080"}
    # env/ goes to both; env.launch/ only to launch, env.build/ only to build; host paths become /layers paths
    assert web.launch_env == {"APP_ENV.default": "production", "WEB_BIN.override": "/layers/example_web/web/bin",
                              "STATIC_DIR.override": "/workspace/public", "XPATH.append": "/opt/x", "XPATH.delim": ":"}
    assert web.build_env == {"XPATH.append": "/opt/x", "XPATH.delim": ":"}
    assert tools.build_env == {"TOOLS_MODE.override": "on"} and tools.launch_env == {}
    assert result.processes == (
        Process("web", ("hello",), ("--port", "8080"), default=True),
        Process("worker", ("/bin/sh", "-c", "echo work"), (), default=False, working_dir="/workspace/jobs"),
    )
    # the plan, the platform env, the working directory
    assert tomllib.loads((web.path / "plan.toml").read_text()) == {"entries": [{"name": "web",
                                                                               "metadata": {"build": "true"}}]}
    assert (web.path / "greeting").read_text() == "hi there"
    assert (web.path / "process-env").read_text() == "hi there\n"  # clear-env is false: also a variable
    assert (web.path / "cwd").read_text().strip() == str(ws)


def test_api_0_8_string_commands_run_through_a_shell(tmp_path: Path) -> None:
    script = """#!/bin/sh
cat > "$CNB_LAYERS_DIR/launch.toml" <<'TOML'
[[processes]]
type = "web"
command = "exec node server.js"
args = ["--verbose"]

[[processes]]
type = "direct"
command = "/usr/bin/env"
direct = true
TOML
"""
    bp = CnbBuildpack.load(write_buildpack(tmp_path / "bp", "old", build=script, api="0.8"))
    result = bp.build(build_ctx(tmp_path, tmp_path, host_executor(tmp_path), bp_id="old"))
    assert result.processes == (Process("web", ("/bin/sh", "-c", "exec node server.js --verbose")),
                                Process("direct", ("/usr/bin/env",)))


CACHE_BUILD = r"""#!/bin/sh
set -eu
L="$CNB_LAYERS_DIR"
lock=$(cat "$CNB_PLATFORM_DIR/env/LOCK")
if [ -f "$L/deps.toml" ]; then echo "restored: $(tr '\n' ' ' < "$L/deps.toml")"; fi
if [ -f "$L/deps.toml" ] && grep -q "lock = \"$lock\"" "$L/deps.toml" && [ -f "$L/deps/installed" ]; then
  echo "reusing deps: $(cat "$L/deps/installed")"
else
  rm -rf "$L/deps" && mkdir -p "$L/deps"
  echo "made by build $(cat "$CNB_PLATFORM_DIR/env/RUN")" > "$L/deps/installed"
fi
printf '[types]\ncache = true\nlaunch = true\n\n[metadata]\nlock = "%s"\n\n[metadata.extra]\nn = 1\n' "$lock" \
  > "$L/deps.toml"
"""


def test_cache_layers_are_restored_with_metadata_only_and_the_buildpack_decides(tmp_path: Path) -> None:
    bp = CnbBuildpack.load(write_buildpack(tmp_path / "bp", "example/cache", build=CACHE_BUILD))

    def build(run: str, lock: str) -> tuple[str, list[str]]:
        lines: list[str] = []
        result = bp.build(build_ctx(tmp_path, tmp_path, host_executor(tmp_path, lines), bp_id="example/cache",
                                    env={"RUN": run, "LOCK": lock}))
        [deps] = result.layers
        assert deps.cache and deps.launch and deps.metadata == {"lock": lock, "extra": '{"n": 1}'}
        return (deps.path / "installed").read_text().strip(), lines

    assert build("1", "v1") == ("made by build 1", [])
    installed, lines = build("2", "v1")
    assert installed == "made by build 1" and "reusing deps: made by build 1" in lines
    [restored] = [line for line in lines if line.startswith("restored:")]
    assert 'lock = "v1"' in restored and "n = 1" in restored and "[types]" not in restored  # CNB: no types
    installed, lines = build("3", "v2")  # the metadata changed: the buildpack rebuilds it
    assert installed == "made by build 3" and not any("reusing" in line for line in lines)
    assert build("4", "v2")[0] == "made by build 3"


def test_a_failing_bin_build_is_a_build_error_with_its_last_lines(tmp_path: Path) -> None:
    bp = CnbBuildpack.load(write_buildpack(tmp_path / "bp", "a",
                                           build="#!/bin/sh\necho 'compiling'\necho 'gcc: not found' >&2\nexit 2\n"))
    with pytest.raises(BuildError) as caught:
        bp.build(build_ctx(tmp_path, tmp_path, host_executor(tmp_path), bp_id="a"))
    assert caught.value.exit_code == 5
    assert caught.value.message == "a bin/build failed (exit 2)"
    assert "gcc: not found" in caught.value.hint


def test_a_malformed_launch_toml_is_a_build_error_naming_it(tmp_path: Path) -> None:
    script = "#!/bin/sh\nprintf '[[processes]]\\ntype = \"web\"\\ncommand = 5\\n' > \"$CNB_LAYERS_DIR/launch.toml\"\n"
    bp = CnbBuildpack.load(write_buildpack(tmp_path / "bp", "a", build=script))
    with pytest.raises(BuildError, match="a: launch.toml: process 'web': command must be a non-empty list"):
        bp.build(build_ctx(tmp_path, tmp_path, host_executor(tmp_path), bp_id="a"))
