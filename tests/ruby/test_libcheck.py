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
