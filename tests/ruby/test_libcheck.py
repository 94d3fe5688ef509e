"""The shared-library launch check (builder/lifecycle/libcheck.py, builder/buildpack/elf.py `dynamic`) on real ELF
objects compiled here with the host's gcc; the Ruby gems layer asks for it (`check_libraries=True`)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from builder.buildpack.elf import Dynamic, dynamic
from builder.errors import BuildError
from builder.lifecycle.libcheck import check_libraries

pytestmark = pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc")


def compile_so(out: Path, source: str, *flags: str) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    src = out.with_suffix(".c")
    src.write_text(source)
    subprocess.run(["gcc", "-shared", "-fPIC", "-o", str(out), str(src), *flags], check=True, capture_output=True)
    src.unlink()
    return out


@pytest.fixture
def layer(tmp_path: Path) -> Path:
    """A layer with lib/ext.so needing libdep.so.1 (found through RUNPATH $ORIGIN/../deps) and libz.so.1."""
    root = tmp_path / "layer"
    compile_so(root / "deps" / "libdep.so.1", "int dep(void) { return 1; }\n", "-Wl,-soname,libdep.so.1")
    compile_so(root / "lib" / "ext.so", "int dep(void);\nint ext(void) { return dep(); }\n",
               "-L", str(root / "deps"), "-l:libdep.so.1", "-Wl,-rpath,$ORIGIN/../deps", "-Wl,--no-as-needed", "-lz")
    (root / "lib" / "notes.so.txt").write_text("not a library")
    return root


def test_dynamic_reads_needed_libraries_and_runpath(layer: Path) -> None:
    found = dynamic(layer / "lib" / "ext.so")
    assert isinstance(found, Dynamic)
    assert found.needed[:2] == ("libdep.so.1", "libz.so.1") and "libc.so.6" in found.needed
    assert found.runpath == ("$ORIGIN/../deps",)
    assert dynamic(layer / "lib" / "notes.so.txt") is None


def test_libraries_found_through_runpath_and_the_system_dirs_pass_and_a_missing_one_names_file_and_soname(
        layer: Path) -> None:
    image = {"/layers/x/deps/libdep.so.1", "/usr/lib/x86_64-linux-gnu/libc.so.6", "/lib/x86_64-linux-gnu/libz.so.1"}
    check_libraries(layer, "/layers/x", image.__contains__, [])
    with pytest.raises(BuildError, match=r"^/layers/x/lib/ext.so needs the shared library libz.so.1, which is not "
                                         r"in the image") as info:
        check_libraries(layer, "/layers/x", (image - {"/lib/x86_64-linux-gnu/libz.so.1"}).__contains__, [])
    assert info.value.exit_code == 5 and "at launch" in info.value.hint
    moved = {"/layers/x/deps/libdep.so.1", "/usr/lib/x86_64-linux-gnu/libc.so.6", "/opt/z/libz.so.1"}
    check_libraries(layer, "/layers/x", moved.__contains__, ["/opt/z"])  # the launch LD_LIBRARY_PATH counts


@pytest.mark.parametrize("dtags", ["--disable-new-dtags", "--enable-new-dtags"])
def test_a_manylinux_wheels_bundled_libraries_find_each_other_through_the_extensions_inherited_rpath(
        tmp_path: Path, dtags: str) -> None:
    """auditwheel's shape (psycopg2-binary, Pillow): `_ext.so` has DT_RPATH $ORIGIN/../pkg.libs; the bundled
    liba-<hash>.so there has no path of its own and needs libb-<hash>.so beside it. ld.so finds libb through
    the extension's DT_RPATH, inherited down the load; a DT_RUNPATH (new dtags) is not inherited."""
    root = tmp_path / "venv"
    libs = root / "site-packages" / "pkg.libs"
    compile_so(libs / "libb-1a2b.so.3", "int b(void) { return 2; }\n", "-Wl,-soname,libb-1a2b.so.3")
    compile_so(libs / "liba-3c4d.so.2", "int b(void);\nint a(void) { return b(); }\n",
               "-Wl,-soname,liba-3c4d.so.2", "-L", str(libs), "-l:libb-1a2b.so.3")
    compile_so(root / "site-packages" / "pkg" / "_ext.so", "int a(void);\nint ext(void) { return a(); }\n",
               "-L", str(libs), "-l:liba-3c4d.so.2", f"-Wl,{dtags}", "-Wl,-rpath,$ORIGIN/../pkg.libs")
    assert dynamic(root / "site-packages" / "pkg" / "_ext.so").inherited is (dtags == "--disable-new-dtags")
    image = {f"/layers/python/venv/{p.relative_to(root).as_posix()}" for p in root.rglob("*.so*")}
    image |= {"/usr/lib/x86_64-linux-gnu/libc.so.6"}
    if dtags == "--disable-new-dtags":
        check_libraries(root, "/layers/python/venv", image.__contains__, [])
    else:
        with pytest.raises(BuildError, match=r"liba-3c4d.so.2 needs the shared library libb-1a2b.so.3"):
            check_libraries(root, "/layers/python/venv", image.__contains__, [])


def test_a_library_loaded_by_nothing_in_the_layer_is_still_checked_alone(tmp_path: Path) -> None:
    root = tmp_path / "layer"
    compile_so(root / "lib" / "libalone.so", "int z(void);\nint alone(void) { return z(); }\n",
               "-Wl,--no-as-needed", "-lz")
    with pytest.raises(BuildError, match=r"^/layers/x/lib/libalone.so needs the shared library libz.so.1"):
        check_libraries(root, "/layers/x", {"/usr/lib/x86_64-linux-gnu/libc.so.6"}.__contains__, [])
