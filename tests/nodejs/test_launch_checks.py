"""Node's launch checks before export: the `node FILE` target exists, native modules load, no npm at launch.

ELF headers are written byte by byte (System V ABI layout), so the tests do not
depend on what the host has; one check reads a real shared object when the
host has a compiler.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from builder.buildpack.elf import MACHINES, Elf, describe, shared_object_problem
from builder.errors import BuildError
from builder.lifecycle.contract import Process
from buildpacks.nodejs.checks import check, loadable_here
from buildpacks.nodejs.processes import NODE, processes

MACHO_ARM64 = b"\xcf\xfa\xed\xfe\x0c\x00\x00\x01" + b"\x00" * 24


def elf(machine: int, *, e_type: int = 3, bits: int = 64, little: bool = True) -> bytes:
    ident = b"\x7fELF" + bytes([1 if bits == 32 else 2, 1 if little else 2, 1]) + b"\x00" * 9
    return ident + struct.pack("<HH" if little else ">HH", e_type, machine) + b"\x00" * 44


def write(path: Path, content: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path


# ---- builder.buildpack.elf -------------------------------------------------------------------------

def test_elf_header_fields(tmp_path: Path) -> None:
    assert describe(write(tmp_path / "a.node", elf(62))) == Elf(64, True, 3, 62)
    assert describe(write(tmp_path / "b.node", elf(183, e_type=1, little=False))) == Elf(64, False, 1, 183)


@pytest.mark.parametrize(("content", "arch", "problem"), [
    (elf(62), "amd64", None),
    (elf(183), "arm64", None),
    (elf(183), "amd64", "built for AArch64 (64-bit), not amd64"),
    (elf(62), "arm64", "built for x86-64 (64-bit), not arm64"),
    (elf(3, bits=32), "amd64", "built for i386 (32-bit), not amd64"),
    (elf(62, e_type=1), "amd64", "an ELF relocatable object (.o), not a shared object"),
    (MACHO_ARM64, "amd64", "a macOS (Mach-O 64-bit) file, not an ELF shared object"),
    (b"MZ\x90\x00" + b"\x00" * 60, "amd64", "a Windows (PE) file, not an ELF shared object"),
    (b"", "amd64", "an empty file, not an ELF shared object"),
    (b"module.exports = {}\n", "amd64", "a text file, not an ELF shared object"),
    (b"\x7fELF\x02", "amd64", "a truncated ELF file, not an ELF shared object"),
])
def test_shared_object_problem(tmp_path: Path, content: bytes, arch: str, problem: str | None) -> None:
    assert shared_object_problem(write(tmp_path / "x.node", content), arch) == problem


def test_a_real_shared_object_passes_for_the_host(tmp_path: Path) -> None:
    if not shutil.which("cc"):
        pytest.skip("needs a C compiler")
    write(tmp_path / "a.c", "int f(void) { return 1; }\n")
    subprocess.run(["cc", "-shared", "-fPIC", "-o", str(tmp_path / "a.node"), str(tmp_path / "a.c")], check=True)
    host = subprocess.run(["uname", "-m"], capture_output=True, text=True, check=True).stdout.strip()
    arch = {"x86_64": "amd64", "aarch64": "arm64"}.get(host)
    if arch is None:
        pytest.skip(f"no OCI name for {host} here")
    assert shared_object_problem(tmp_path / "a.node", arch) is None
    other = "arm64" if arch == "amd64" else "amd64"
    assert shared_object_problem(tmp_path / "a.node", other) is not None
    assert set(MACHINES) >= {"amd64", "arm64"}


# ---- the node FILE target --------------------------------------------------------------------------

def launch(command: str, *, working_dir: str = "/workspace") -> list[Process]:
    return [Process(p.type, p.command, default=p.default, working_dir=working_dir)
            for p in processes({"web": command}, "")]


def run_check(app: Path, command: str, modules: Path | None = None, *, working_dir: str = "/workspace") -> None:
    check(launch(command, working_dir=working_dir), workspace=app, node_modules=modules, arch="amd64", node=NODE)


@pytest.mark.parametrize("command", [
    "node server.js", "node server", "node dist", "node dist/", "node .", "node lib/main",
    "node --enable-source-maps -r dotenv/config server.js", "node --max-old-space-size=512 server",
    "node -e 'console.log(1)'", "node $ENTRY", "NODE_OPTIONS=x node server.js --port $PORT",
    "node migrate.js && node server.js", "node node_modules/pkg/cli.js",
])
def test_node_targets_that_resolve(tmp_path: Path, command: str) -> None:
    app = tmp_path / "app"
    write(app / "server.js", "")
    write(app / "migrate.js", "")
    write(app / "package.json", '{"main": "lib/main.js"}')
    write(app / "lib" / "main.js", "")
    write(app / "dist" / "index.js", "")
    modules = write(tmp_path / "modules" / "pkg" / "cli.js", "").parent.parent
    run_check(app, command, modules)


@pytest.mark.parametrize(("command", "missing"), [
    ("node dist/server.js", "dist/server.js"),
    ("node build", "build"),
    ("node --import tsx src/app.ts", "src/app.ts"),
    ("node migrate.js && exec node missing.js", "missing.js"),
])
def test_a_missing_node_target_fails_naming_the_process(tmp_path: Path, command: str, missing: str) -> None:
    write(tmp_path / "migrate.js", "")
    with pytest.raises(BuildError, match=rf"process 'web' cannot start: node's entry '{missing}' is not in the built app"):
        run_check(tmp_path, command)


def test_the_target_is_taken_from_the_working_dir(tmp_path: Path) -> None:
    write(tmp_path / "apps" / "api" / "server.js", "")
    run_check(tmp_path, "node server.js", working_dir="/workspace/apps/api")
    with pytest.raises(BuildError, match="not in the built app"):
        run_check(tmp_path, "node server.js")


@pytest.mark.parametrize("command", ["node migrate.js && npx serve", "npm start", "yarn serve; node a.js"])
def test_a_package_manager_at_launch_fails(tmp_path: Path, command: str) -> None:
    write(tmp_path / "migrate.js", "")
    with pytest.raises(BuildError, match=r"process 'web' cannot start: it runs (npx|npm|yarn), which is not in the image"):
        run_check(tmp_path, command)


# ---- native modules --------------------------------------------------------------------------------

def test_native_modules_must_be_elf_for_the_target(tmp_path: Path) -> None:
    app = write(tmp_path / "app" / "server.js", "").parent
    modules = tmp_path / "modules"
    write(modules / "good" / "build" / "Release" / "good.node", elf(62))
    # prebuilds for other platforms are never loaded on linux/amd64
    write(modules / "bufferutil" / "prebuilds" / "darwin-x64+arm64" / "node.napi.node", MACHO_ARM64)
    write(modules / "bufferutil" / "prebuilds" / "linux-arm64" / "node.napi.node", elf(183))
    write(modules / "bufferutil" / "prebuilds" / "win32-x64" / "node.napi.node", b"MZ" + b"\x00" * 62)
    write(modules / "bufferutil" / "prebuilds" / "linux-x64" / "node.napi.node", elf(62))
    run_check(app, "node server.js", modules)
    write(modules / "node-expat" / "build" / "Release" / "node_expat.node", MACHO_ARM64)
    with pytest.raises(BuildError, match=r"process 'web' cannot start: native module "
                       r"/workspace/node_modules/node-expat/build/Release/node_expat.node is a macOS"):
        run_check(app, "node server.js", modules)


@pytest.mark.parametrize(("content", "what"), [(b"", "an empty file"), (b"stub\n", "a text file"),
                                               (elf(183), "built for AArch64")])
def test_stub_text_and_wrong_arch_native_modules_fail(tmp_path: Path, content: bytes, what: str) -> None:
    write(tmp_path / "server.js", "")
    write(tmp_path / "build" / "Release" / "addon.node", content)  # the app's own addon (root binding.gyp)
    with pytest.raises(BuildError, match=f"native module /workspace/build/Release/addon.node is {what}"):
        run_check(tmp_path, "node server.js")


@pytest.mark.parametrize(("path", "loadable"), [
    ("a/build/Release/a.node", True), ("a/prebuilds/linux-x64/a.node", True),
    ("a/lib/binding/node-v115-linux-x64/a.node", True), ("a/vendor/linux-x64-musl/a.node", True),
    ("a/prebuilds/darwin-x64/a.node", False), ("a/prebuilds/linux-arm64/a.node", False),
    ("a/lib/binding/napi-v3-win32-ia32/a.node", False), ("a/bin/linux-x86_64-115/a.node", True),
    ("a/prebuilds/linux-ia32/a.node", False), ("@img/sharp-linux-arm64/lib/a.node", False),
])
def test_which_prebuilds_count_on_linux_amd64(path: str, loadable: bool) -> None:
    assert loadable_here(path, "amd64") is loadable


def test_a_cd_before_node_moves_where_the_target_is_looked_up(tmp_path: Path) -> None:
    """A Heroku-style `web: cd src && node adapter.js` is valid: the entry is src/adapter.js."""
    write(tmp_path / "src" / "adapter.js", "")
    run_check(tmp_path, "cd src && node adapter.js --mode=shell")
    run_check(tmp_path, "cd $APP_DIR && node anything.js")  # a directory only known at run time: not judged
    with pytest.raises(BuildError, match=r"node's entry 'missing.js' is not in the built app .* in /workspace/src\)"):
        run_check(tmp_path, "cd src && node missing.js")
