"""The build sandbox in the real trixie build root: non-root, host trust carried in, npm and node-gyp working."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from builder.errors import BuildError
from builder.lifecycle.contract import Mount
from builder.sandbox import PATH, BwrapExecutor, HostTrust, select_executor

NPM = "/layers/nodejs/npm/bin/npm-cli.js"
NODE_PATH = f"/layers/nodejs/node/bin:{PATH}"


@pytest.fixture(scope="module")
def sandbox_ok(build_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The build root, once bubblewrap has been seen to work here (it must in CI)."""
    failure = BwrapExecutor(build_root, tmp_path_factory.mktemp("probe")).probe()
    if failure is not None:
        if os.environ.get("CI"):
            pytest.fail(f"bubblewrap does not work on this CI machine: {failure}")
        pytest.skip(f"bubblewrap does not work here: {failure}")
    return build_root


def sandbox(rootfs: Path, workspace: Path, lines: list[str] | None = None) -> BwrapExecutor:
    return BwrapExecutor(rootfs, workspace, trust=HostTrust.from_env(os.environ),
                         log=lines.append if lines is not None else None)  # fmt: skip


def node_mounts(node: Path, npm: Path) -> list[Mount]:
    return [Mount(node, "/layers/nodejs/node", writable=False), Mount(npm, "/layers/nodejs/npm", writable=False)]


def test_commands_run_as_uid_1000_with_a_clean_environment(sandbox_ok: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.setenv("DOCKLESS_SECRET_TEST", "leak")
    run = sandbox(sandbox_ok, tmp_path).run(
        ["bash", "-c", "id -u; id -g; whoami; pwd; echo $HOME; env | sort; touch /workspace/made; ls -ld /tmp"],
        what="probe", env={"FROM_CALLER": "yes"},
    )  # fmt: skip
    lines = run.stdout.splitlines()
    assert lines[:5] == ["1000", "1000", "app", "/workspace", "/home/app"]
    assert "FROM_CALLER=yes" in lines and "LANG=C.UTF-8" in lines
    assert not any("DOCKLESS_SECRET_TEST" in line for line in lines)
    assert lines[-1].startswith("drwxrwxrwt")
    made = tmp_path / "made"
    assert made.stat().st_uid == os.getuid()  # the host can read and delete what the build wrote
    made.unlink()


def test_the_build_root_is_read_only_and_has_the_build_tools(sandbox_ok: Path, tmp_path: Path) -> None:
    run = sandbox(sandbox_ok, tmp_path).run(
        ["bash", "-c", "touch /usr/x 2>/dev/null && echo writable || echo read-only; "
                       "for t in cc c++ g++ make python3 git tar gzip sed awk; do command -v $t; done"],
        what="tools",
    )  # fmt: skip
    lines = run.stdout.splitlines()
    assert lines[0] == "read-only"
    assert len(lines) == 11 and all(line.startswith("/usr/bin/") for line in lines[1:]), lines


def test_the_hosts_ca_bundle_is_the_one_inside(sandbox_ok: Path, tmp_path: Path) -> None:
    trust = HostTrust.from_env(os.environ)
    if trust.ca_bundle is None:
        pytest.skip("this host has no CA bundle")
    run = sandbox(sandbox_ok, tmp_path).run(
        ["sh", "-c", "cat /etc/ssl/certs/ca-certificates.crt; echo; echo NODE=$NODE_EXTRA_CA_CERTS"], what="ca"
    )
    assert run.stdout.startswith(trust.ca_bundle.read_text())
    assert "NODE=/etc/ssl/certs/ca-certificates.crt" in run.stdout


def test_npm_install_from_the_registry_through_the_host_trust(sandbox_ok: Path, tmp_path: Path, node_dist: Path,
                                                            npm_dist: Path) -> None:  # fmt: skip
    (tmp_path / "package.json").write_text('{"name": "t", "version": "1.0.0", "private": true}\n')
    lines: list[str] = []
    executor = sandbox(sandbox_ok, tmp_path, lines)
    env = {"PATH": NODE_PATH, "npm_config_cache": "/tmp/npm-cache", "npm_config_update_notifier": "false"}
    executor.run(["node", NPM, "install", "is-number@7.0.0", "--no-audit", "--no-fund"], what="npm install",
                 env=env, mounts=node_mounts(node_dist, npm_dist))  # fmt: skip
    assert any("added 1 package" in line for line in lines), lines
    installed = tmp_path / "node_modules" / "is-number" / "package.json"
    assert '"version": "7.0.0"' in installed.read_text()
    check = executor.run(["node", "-e", "console.log(require('is-number')(5))"], what="node",
                         env={"PATH": NODE_PATH}, mounts=node_mounts(node_dist, npm_dist))  # fmt: skip
    assert check.stdout.strip() == "true"


ADDON = """#include <node_api.h>
#include <string>
static napi_value Hello(napi_env env, napi_callback_info) {
  std::string text = "native " + std::to_string(6 * 7);
  napi_value result;
  napi_create_string_utf8(env, text.c_str(), text.size(), &result);
  return result;
}
NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "hello", NAPI_AUTO_LENGTH, Hello, nullptr, &fn);
  napi_set_named_property(env, exports, "hello", fn);
  return exports;
}
"""


def test_node_gyp_builds_a_native_addon(sandbox_ok: Path, tmp_path: Path, node_dist: Path, npm_dist: Path) -> None:
    (tmp_path / "package.json").write_text('{"name": "addon", "version": "1.0.0", "gypfile": true}\n')
    (tmp_path / "binding.gyp").write_text('{"targets": [{"target_name": "addon", "sources": ["addon.cc"]}]}\n')
    (tmp_path / "addon.cc").write_text(ADDON)
    executor = sandbox(sandbox_ok, tmp_path)
    mounts = node_mounts(node_dist, npm_dist)
    # headers come from the Node.js package itself: nodejs.org is not needed
    env = {"PATH": NODE_PATH, "npm_config_cache": "/tmp/npm-cache", "npm_config_nodedir": "/layers/nodejs/node"}
    executor.run(["node", NPM, "install", "--no-audit", "--no-fund"], what="npm install", env=env, mounts=mounts)
    run = executor.run(["node", "-p", "require('./build/Release/addon.node').hello()"], what="node",
                       env={"PATH": NODE_PATH}, mounts=mounts)  # fmt: skip
    assert run.stdout.strip() == "native 42"


def test_a_failing_command_raises_build_error_with_its_last_lines(sandbox_ok: Path, tmp_path: Path) -> None:
    script = "for i in $(seq 1 50); do echo line $i; done; echo boom >&2; exit 3"
    with pytest.raises(BuildError) as caught:
        sandbox(sandbox_ok, tmp_path).run(["bash", "-c", script], what="npm ci")
    assert caught.value.message == "npm ci failed (exit 3)"
    assert "boom" in caught.value.hint and "line 50" in caught.value.hint and "line 20\n" not in caught.value.hint


def test_mounts_need_a_place_the_read_only_root_can_hold(sandbox_ok: Path, tmp_path: Path) -> None:
    executor = sandbox(sandbox_ok, tmp_path)
    with pytest.raises(BuildError, match="read-only"):
        executor.run(["true"], what="x", mounts=[Mount(tmp_path, "/usr/share/nowhere")])
    with pytest.raises(BuildError, match="does not exist"):
        executor.run(["true"], what="x", mounts=[Mount(tmp_path / "missing", "/layers/a")])
    (tmp_path / "cache").mkdir()
    run = executor.run(["sh", "-c", "echo hi > /layers/a/b/file && echo done"], what="x",
                       mounts=[Mount(tmp_path / "cache", "/layers/a/b")])  # fmt: skip
    assert run.stdout.strip() == "done" and (tmp_path / "cache" / "file").read_text() == "hi\n"


def test_select_executor_falls_back_to_the_host_with_one_notice(build_root: Path, tmp_path: Path) -> None:
    notices: list[str] = []
    env = {"PATH": str(tmp_path / "empty-bin") + ":/usr/bin:/bin"}
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    (empty / "bwrap").write_text("#!/bin/sh\necho 'bwrap: No permissions to create new namespace' >&2\nexit 1\n")
    (empty / "bwrap").chmod(0o755)
    made: list[int] = []

    def make_root() -> Path:  # the build root download is skipped when the sandbox cannot run anyway
        made.append(1)
        return build_root

    executor = select_executor(make_root, tmp_path, env=env, notice=notices.append)
    assert type(executor).__name__ == "HostExecutor" and made == []
    assert notices == ["bwrap does not work here (bwrap: No permissions to create new namespace); "
                       "build commands run on the host"]  # fmt: skip
    if shutil.which("bwrap") and BwrapExecutor(build_root, tmp_path).probe() is None:
        assert type(select_executor(make_root, tmp_path, env=os.environ)).__name__ == "BwrapExecutor"
        assert made == [1]
