"""BUILD over a group, with the production host executor: build layers reach later buildpacks."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from builder.errors import BuildError
from builder.image.blobs import BlobStore
from builder.image.layer import layer_from_entries
from builder.image.mutate import append_layers, scratch
from builder.image.tarball import Entry
from builder.lifecycle.build import GroupResult, build_group
from builder.lifecycle.contract import (
    Buildpack,
    BuildContext,
    BuildpackPlan,
    BuildResult,
    BuiltLayer,
    DetectContext,
    Detection,
    Executor,
    Process,
)
from builder.lifecycle.detect import Selected
from builder.lifecycle.export import launch_env, process_entries
from builder.lifecycle.launchcheck import ImageFiles, check_launch, script_command
from builder.lifecycle.layercache import DirLayerCache
from builder.sandbox import select_executor


@dataclass
class Tool:
    """Buildpack A: a build layer with bin/greet and a build env variable; a layer of no type."""

    id: str = "tool"

    def detect(self, ctx: DetectContext) -> Detection:
        return Detection(self.id, True)

    def build(self, ctx: BuildContext) -> BuildResult:
        layer = ctx.layers_dir / "greeter"
        (layer / "bin").mkdir(parents=True)
        (layer / "bin" / "greet").write_text('#!/bin/sh\necho "hello from the build layer, $GREETING"\n')
        (layer / "bin" / "greet").chmod(0o755)
        scratch_dir = ctx.layers_dir / "scratch"
        scratch_dir.mkdir()
        return BuildResult(
            layers=[BuiltLayer("greeter", layer, "/layers/tool/greeter", launch=False, build=True,
                               build_env={"GREETING": "group"}),
                    BuiltLayer("scratch", scratch_dir, "/layers/tool/scratch", launch=False)],
            processes=[Process("web", ["/bin/false"]), Process("worker", ["/bin/sh", "-c", "sleep 1"])],
            launch_env={"FROM_TOOL": "1"},
        )


@dataclass
class App:
    """Buildpack B: calls `greet` (from A's build layer) and ships its output; replaces A's web process."""

    id: str = "app"

    def detect(self, ctx: DetectContext) -> Detection:
        return Detection(self.id, True)

    def build(self, ctx: BuildContext) -> BuildResult:
        out = ctx.executor.run(["greet"], what="greet")
        layer = ctx.layers_dir / "out"
        layer.mkdir()
        (layer / "greeting.txt").write_text(out.stdout)
        return BuildResult(layers=[BuiltLayer("out", layer, "/layers/app/out")],
                           processes=[Process("web", ["/bin/cat", "/layers/app/out/greeting.txt"])],
                           launch_env={"FROM_TOOL.default": "ignored", "PATH.prepend": "/layers/app/out", "PATH.delim": ":"})


def run_group(tmp_path: Path, members: list[Buildpack]) -> GroupResult:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    executor: Executor = select_executor(None, workspace, env=dict(os.environ), mode="host")
    group = [Selected(m, Detection(m.id, True), BuildpackPlan()) for m in members]
    return build_group(group, workspace=workspace, layers_root=tmp_path / "layers", env={},
                       executor=lambda: executor, cache=DirLayerCache(tmp_path / "cache"),
                       download_dir=tmp_path / "dl", log=lambda line: None)


def test_a_build_layer_is_on_the_path_of_later_buildpacks_with_its_env(tmp_path: Path) -> None:
    result = run_group(tmp_path, [Tool(), App()])
    layers = {o.layer.name: o for o in result.layers}
    assert (layers["out"].layer.path / "greeting.txt").read_text() == "hello from the build layer, group\n"
    assert "scratch" not in layers  # neither launch, build nor cache: dropped
    assert [o.layer.name for o in result.launch_layers] == ["out"]
    procs = {p.type: p for p in result.processes}
    assert procs["web"].command == ["/bin/cat", "/layers/app/out/greeting.txt"] and procs["web"].default
    assert not procs["worker"].default
    env = launch_env(["PATH=/usr/bin:/bin"], result)
    assert env["PATH"] == "/layers/app/out:/usr/bin:/bin:/cnb/process" and env["FROM_TOOL"] == "1"
    assert env["PORT"] == "8080"


def test_each_process_gets_an_executable_under_cnb_process(tmp_path: Path) -> None:
    scripts = {e.path: e.data for e in process_entries([
        Process("web", ["/bin/cat", "a b.txt"], args=["--x"], working_dir="/workspace/app"),
        Process("bad/type", ["/bin/true"]),
    ])}
    assert scripts == {"cnb/process/web": b"#!/bin/sh\ncd /workspace/app && exec /bin/cat 'a b.txt' --x \"$@\"\n"}


def test_the_build_layer_is_not_visible_to_the_buildpack_that_made_it(tmp_path: Path) -> None:
    with pytest.raises(BuildError, match="greet"):
        run_group(tmp_path, [App(), Tool()])


def test_launch_check_finds_what_the_image_lacks(tmp_path: Path) -> None:
    result = run_group(tmp_path, [Tool(), App()])
    workspace = tmp_path / "ws"
    image = scratch()
    with pytest.raises(BuildError, match=r"process '(web|worker)' cannot start: '/bin/(cat|sh)' is not in the image"):
        check_launch(result, workspace, image)


def test_shell_scripts_are_checked_by_their_one_command() -> None:
    assert script_command("exec node server.js --port $PORT") == "node"
    assert script_command("NODE_OPTIONS=--x exec npm start") == "npm"
    assert script_command("node a.js && node b.js") is None


def test_launch_check_reads_multi_member_gzip_run_image_layers(tmp_path: Path) -> None:
    """Our parallel gzip writes 4 MiB members; tarfile's stream reader alone stops after the first."""
    store = BlobStore(tmp_path / "store")
    big = os.urandom(9 << 20)  # incompressible: several gzip members before usr/bin/sh is written
    layer = layer_from_entries([Entry("usr/aaa-big", data=big), Entry("usr/bin/sh", data=b"#!", mode=0o755),
                                Entry("bin", kind="symlink", link="usr/bin")], store)
    image = append_layers(scratch(), [layer])
    result = run_group(tmp_path, [Tool(), App()])
    files = ImageFiles(image, result, tmp_path / "ws", tmp_path / "memo")
    assert files.exists("/usr/bin/sh") and files.exists("/bin/sh") and not files.exists("/bin/bash")
    assert list((tmp_path / "memo").iterdir())  # remembered by diffID for the next build
    again = ImageFiles(image, result, tmp_path / "ws", tmp_path / "memo")
    assert again.exists("/bin/sh")


@dataclass
class Scripted:
    """Ships `bin/serve`, a script whose `#!` line is `shebang`, and starts it by its bare name."""

    shebang: str
    id: str = "scripted"

    def detect(self, ctx: DetectContext) -> Detection:
        return Detection(self.id, True)

    def build(self, ctx: BuildContext) -> BuildResult:
        layer = ctx.layers_dir / "tools"
        (layer / "bin").mkdir(parents=True)
        (layer / "bin" / "serve").write_text(f"#!{self.shebang}\nprint('hi')\n")
        (layer / "bin" / "serve").chmod(0o755)
        return BuildResult(layers=[BuiltLayer("tools", layer, "/layers/scripted/tools", launch=True)],
                           processes=[Process("web", ["serve"])],
                           launch_env={"PATH.prepend": "/layers/scripted/tools/bin", "PATH.delim": ":"})


@pytest.mark.parametrize(("shebang", "problem"), [
    ("/usr/bin/python3", None),
    ("/bin/bash", None),  # bin -> usr/bin in the run image's layer, usr/bin/bash in a package layer
    ("/bin/sh\r", r"has Windows line endings \(CRLF\)"),
    ("/usr/bin/env python3", None),
    ("/tmp/dockless-build-1/layers/python/venv/bin/python",  # a host path written by a tool outside the sandbox
     r"/layers/scripted/tools/bin/serve is a script for '/tmp/dockless-build-1/layers/python/venv/bin/python', "
     "which is not in the image"),
    ("/usr/bin/env ruby", r"runs 'ruby' through env, and it is not on the launch PATH"),
])
def test_launch_check_follows_a_scripts_interpreter(tmp_path: Path, shebang: str, problem: str | None) -> None:
    store = BlobStore(tmp_path / "store")
    base = layer_from_entries([Entry("usr/bin/python3", data=b"\x7fELF", mode=0o755),
                               Entry("usr/bin/env", data=b"\x7fELF", mode=0o755),
                               Entry("usr/bin/sh", data=b"\x7fELF", mode=0o755),
                               Entry("bin", kind="symlink", link="usr/bin")], store)
    packages = layer_from_entries([Entry("usr/bin/bash", data=b"\x7fELF", mode=0o755)], store)
    image = append_layers(scratch(), [base, packages])
    result = run_group(tmp_path, [Scripted(shebang)])
    if problem is None:
        check_launch(result, tmp_path / "ws", image)
    else:
        with pytest.raises(BuildError, match=problem):
            check_launch(result, tmp_path / "ws", image)


@dataclass
class Starts:
    """A process that runs `command` from nothing the group ships (a Procfile-only app)."""

    command: list[str]
    id: str = "starts"

    def detect(self, ctx: DetectContext) -> Detection:
        return Detection(self.id, True)

    def build(self, ctx: BuildContext) -> BuildResult:
        return BuildResult(layers=[], processes=[Process("web", self.command)])


@pytest.mark.parametrize(("command", "hint"), [
    (["python", "-m", "http.server"], "'python' comes with a language buildpack: add a requirements.txt or pyproject.toml"),
    (["/bin/sh", "-c", "exec npm start"], "npm itself does not ship: start with node"),
    (["frobnicate"], "'frobnicate' is not shipped: start the process with a program the image has"),
])
def test_a_missing_command_hint_names_the_buildpack_that_brings_it(tmp_path: Path, command: list[str],
                                                                   hint: str) -> None:
    store = BlobStore(tmp_path / "store")
    image = append_layers(scratch(), [layer_from_entries([Entry("bin/sh", data=b"\x7fELF", mode=0o755)], store)])
    with pytest.raises(BuildError) as caught:
        check_launch(run_group(tmp_path, [Starts(command)]), tmp_path / "ws", image)
    assert hint in caught.value.hint
