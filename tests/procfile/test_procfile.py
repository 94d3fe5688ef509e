"""The Procfile detector and buildpack on real files; busybox's applet list comes from a stub executor
(the e2e tests run the real one)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from buildpacks.procfile import ProcfileBuildpack
from buildpacks.procfile.build import script_packages
from builder.errors import BuildError
from builder.lifecycle.contract import WORKSPACE, BuildContext, BuildpackPlan, Mount, Process
from builder.lifecycle.layercache import DirLayerCache
from builder.lifecycle.packages import PackageRequests
from detectors.procfile import ProcfileDetector


class BusyboxList:
    """Answers `busybox --list` as Debian's busybox-static does (its path first)."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def run(self, argv: Sequence[str], *, what: str, cwd: str = WORKSPACE, env: Mapping[str, str] | None = None,
            mounts: Sequence[Mount] = ()) -> subprocess.CompletedProcess[str]:
        self.calls.append(list(argv))
        return subprocess.CompletedProcess(argv, 0, "/usr/bin/busybox\n[\nbusybox\ncat\nhttpd\nnc\nsed\n", "")


def write(root: Path, files: dict[str, str], executable: Sequence[str] = ()) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    for name in executable:
        os.chmod(root / name, 0o755)
    return root


def test_a_procfile_with_web_passes(tmp_path: Path) -> None:
    found = ProcfileDetector().detect(write(tmp_path, {"Procfile": "web: ./start.sh\nworker: ./work.sh\n"}), {})
    assert found.passed and found.metadata("procfile") == {"processes": "web,worker", "web": "./start.sh"}


@pytest.mark.parametrize(("files", "why"), [
    ({}, "no Procfile at the root"),
    ({"Procfile": "worker: ./work.sh\n"}, "the Procfile has no web process (it lists worker)"),
    ({"Procfile": "# nothing\n"}, "the Procfile has no web process (it lists no process)"),
])
def test_no_web_process_fails_detection(tmp_path: Path, files: dict[str, str], why: str) -> None:
    found = ProcfileDetector().detect(write(tmp_path, files), {})
    assert not found.passed and why in found.reasons[0]


def context(tmp_path: Path, files: dict[str, str], executable: Sequence[str] = ()) -> tuple[BuildContext,
                                                                                           PackageRequests]:
    packages = PackageRequests()
    workspace = write(tmp_path / "workspace", files, executable)
    return BuildContext(workspace=workspace, layers_dir=tmp_path / "layers", plan=BuildpackPlan(), env={},
                        executor=BusyboxList(), cache=DirLayerCache(tmp_path / "cache"), download_dir=tmp_path,
                        log=lambda line: None, packages=packages), packages


def test_the_web_process_runs_with_busybox_applets_at_the_end_of_path(tmp_path: Path) -> None:
    ctx, packages = context(tmp_path, {"Procfile": "web: busybox httpd -f -p $PORT -h www\n"})
    result = ProcfileBuildpack().build(ctx)
    assert packages.launch == ("busybox-static",) and packages.build == ("busybox-static",)
    [web] = result.processes
    assert web.default and list(web.command) == ["/bin/sh", "-c", 'exec busybox httpd -f -p $PORT -h www "$@"', "sh"]
    [layer] = result.layers
    assert layer.target == "/layers/procfile/busybox" and layer.launch
    links = sorted(p.name for p in (layer.path / "applets").iterdir())
    assert links == ["[", "cat", "httpd", "nc", "sed"]
    assert os.readlink(layer.path / "applets" / "nc") == "/usr/bin/busybox"
    assert not (layer.path / "bin").exists()  # bin/ would go in front of the stack's PATH
    assert result.launch_env["PATH.append"] == "/layers/procfile/busybox/applets"


def test_a_bash_script_brings_bash(tmp_path: Path) -> None:
    ctx, packages = context(tmp_path, {"Procfile": "web: ./start.sh\n", "start.sh": "#!/bin/bash\nexec nc -l\n"},
                            ["start.sh"])
    ProcfileBuildpack().build(ctx)
    assert packages.launch == ("bash", "busybox-static")


@pytest.mark.parametrize(("first", "wanted"), [
    ("#!/bin/sh\n", set()), ("#!/usr/bin/env bash\n", {"coreutils", "bash"}), ("#!/usr/bin/env sh\n", {"coreutils"}),
    ("\x7fELF", set()), ("echo no shebang\n", set()),
])
def test_script_interpreters(tmp_path: Path, first: str, wanted: set[str]) -> None:
    write(tmp_path, {"bin/run": first}, ["bin/run"])
    assert script_packages(Process("web", ("bin/run",)), tmp_path, "/workspace") == wanted
    assert script_packages(Process("web", ("/workspace/bin/run",)), tmp_path, "/workspace") == wanted
    assert script_packages(Process("web", ("/bin/sh", "-c", "PORT=1 exec bin/run $PORT", "sh")),
                           tmp_path, "/workspace") == wanted


def test_a_script_that_is_not_executable_fails_in_one_line(tmp_path: Path) -> None:
    write(tmp_path, {"start.sh": "#!/bin/sh\n"})
    with pytest.raises(BuildError) as err:
        script_packages(Process("web", ("./start.sh",)), tmp_path, "/workspace")
    assert err.value.message == "the web process runs start.sh, which is not executable"
    assert "git update-index --chmod=+x start.sh" in err.value.hint


def test_an_interpreter_the_image_cannot_have_fails(tmp_path: Path) -> None:
    write(tmp_path, {"app.py": "#!/usr/bin/python3\n"}, ["app.py"])
    with pytest.raises(BuildError, match="app.py starts with '#!/usr/bin/python3', an interpreter the image"):
        script_packages(Process("web", ("./app.py",)), tmp_path, "/workspace")


def test_two_web_lines_fail_detection_with_exit_2_naming_both_lines(tmp_path: Path) -> None:
    from builder.errors import UsageError

    (tmp_path / "Procfile").write_bytes(b"web: ./old.sh\r\nworker: ./w.sh\r\nweb: ./new.sh\r\n")
    with pytest.raises(UsageError, match=r"'web' twice \(lines 1 and 3\)") as info:
        ProcfileDetector().detect(tmp_path, {})
    assert info.value.exit_code == 2


def test_two_web_lines_are_exit_2_through_the_cli(tmp_path: Path) -> None:
    from tests.e2e.cli import assert_clean_error, dockless

    (tmp_path / "Procfile").write_text("web: ./a.sh\nweb: ./b.sh\n")
    assert_clean_error(dockless("detect", str(tmp_path)), 2, "'web' twice (lines 1 and 2)")
