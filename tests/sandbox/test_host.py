"""The host executor: sandbox paths translated to host paths, a clean environment, errors with the tail."""

from __future__ import annotations

from pathlib import Path

import pytest

from builder.errors import BuildError
from builder.lifecycle.contract import Mount
from builder.sandbox import HostExecutor, HostTrust, select_executor, translator


def test_translator_rewrites_only_whole_sandbox_paths() -> None:
    translate = translator({"/workspace": Path("/h/ws"), "/layers/nodejs/node": Path("/h/node"),
                            "/layers/nodejs": Path("/h/layers")})  # fmt: skip
    assert translate("/workspace") == "/h/ws"
    assert translate("/workspace/src/a.js") == "/h/ws/src/a.js"
    assert translate("/layers/nodejs/node/bin:/usr/bin") == "/h/node/bin:/usr/bin"
    assert translate("--prefix=/layers/nodejs/tools") == "--prefix=/h/layers/tools"
    assert translate("cd /workspace && ls '/workspace/x'") == "cd /h/ws && ls '/h/ws/x'"
    assert translate("/workspaces/other") == "/workspaces/other"
    assert translate("/srv/workspace") == "/srv/workspace"


def test_commands_see_host_paths_and_only_the_env_they_are_given(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.setenv("DOCKLESS_SECRET_TEST", "leak")
    workspace, tools = tmp_path / "ws", tmp_path / "tools"
    (tools / "bin").mkdir(parents=True)
    workspace.mkdir()
    (tools / "bin" / "hello").write_text("#!/bin/sh\necho hello from $0\n")
    (tools / "bin" / "hello").chmod(0o755)
    bundle = tmp_path / "ca.pem"
    bundle.write_text("CA")
    executor = HostExecutor(workspace, trust=HostTrust(bundle, {"HTTPS_PROXY": "http://proxy:3128"}))
    run = executor.run(["sh", "-c", "hello; pwd; echo $OUT; env"], what="probe",
                       env={"PATH": "/layers/tool/bin", "OUT": "/workspace/out"},
                       mounts=[Mount(tools, "/layers/tool", writable=False)])  # fmt: skip
    lines = run.stdout.splitlines()
    assert lines[0] == f"hello from {tools}/bin/hello"
    assert lines[1] == str(workspace) and lines[2] == f"{workspace}/out"
    assert f"NODE_EXTRA_CA_CERTS={bundle}" in lines and "HTTPS_PROXY=http://proxy:3128" in lines
    assert not any("DOCKLESS_SECRET_TEST" in line for line in lines)


def test_a_failing_command_names_what_failed(tmp_path: Path) -> None:
    lines: list[str] = []
    with pytest.raises(BuildError) as caught:
        HostExecutor(tmp_path, log=lines.append).run(["sh", "-c", "echo out; echo err >&2; exit 7"], what="npm run build")
    assert caught.value.message == "npm run build failed (exit 7)"
    assert "out" in caught.value.hint and "err" in caught.value.hint
    assert sorted(lines) == ["err", "out"]
    with pytest.raises(BuildError, match="could not start"):
        HostExecutor(tmp_path).run(["/no/such/program"], what="tool")


def test_host_mode_never_probes(tmp_path: Path) -> None:
    notices: list[str] = []
    executor = select_executor(None, tmp_path, env={"PATH": "/usr/bin:/bin"}, mode="host", notice=notices.append)
    assert isinstance(executor, HostExecutor) and notices == []
    fallback = select_executor(None, tmp_path, env={"PATH": "/usr/bin:/bin"}, notice=notices.append)
    assert isinstance(fallback, HostExecutor) and notices == ["no build root filesystem was given; build commands run on the host"]
