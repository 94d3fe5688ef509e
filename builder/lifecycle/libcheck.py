"""Before EXPORT: do the compiled objects of a launch layer find their shared libraries in the image?

A Ruby gem's C extension (or any `.so` a buildpack compiled) is linked at build
against the build root's libraries; the image holds only the run image and the
launch packages. A library present at build and absent at launch installs
cleanly and fails at the first `require` with "cannot open shared object
file". For each layer that asks (`BuiltLayer.check_libraries`), every ELF
shared object must find each DT_NEEDED soname where ld.so(8) would look:

    1. its DT_RUNPATH (else DT_RPATH) directories, `$ORIGIN` = the object's directory
    2. the launch LD_LIBRARY_PATH
    3. the system directories: /lib/<triplet>, /usr/lib/<triplet>, /lib, /usr/lib, /usr/local/lib
       (Debian's ld.so.conf.d multiarch entries, then the defaults)

A name that is found nowhere is a BuildError (exit 5) naming the object and the library.
"""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from builder.buildpack.elf import dynamic
from builder.errors import BuildError

TRIPLETS = ("x86_64-linux-gnu", "aarch64-linux-gnu", "arm-linux-gnueabihf", "i386-linux-gnu",
            "powerpc64le-linux-gnu", "s390x-linux-gnu", "riscv64-linux-gnu")
SYSTEM_DIRS = tuple(f"/{p}lib/{t}" for t in TRIPLETS for p in ("", "usr/")) + \
    ("/lib", "/usr/lib", "/lib64", "/usr/lib64", "/usr/local/lib")
_SHARED = re.compile(r"\.so(\.\d+)*$")


def shared_objects(root: Path) -> Iterator[Path]:
    """Regular files under `root` named like shared objects (`x.so`, `libx.so.1.2`), in sorted order."""
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(dirpath) / name
            if _SHARED.search(name) and path.is_file() and not path.is_symlink():
                yield path


def check_libraries(host: Path, target: str, exists: Callable[[str], bool], ld_library_path: Sequence[str]) -> None:
    """BuildError for the first object under `host` (the layer, mounted at `target` in the image) that needs a
    library `exists(image path)` cannot find on the loader's search path."""
    for path in shared_objects(host):
        found = dynamic(path)
        if found is None:
            continue
        where = posixpath.join(target, path.relative_to(host).as_posix())
        origin = posixpath.dirname(where)
        runpath = [d.replace("$ORIGIN", origin).replace("${ORIGIN}", origin) for d in found.runpath]
        search = [*runpath, *ld_library_path, *SYSTEM_DIRS]
        for soname in found.needed:
            if "/" in soname:
                ok = exists(posixpath.normpath(posixpath.join(origin, soname)))
            else:
                ok = any(exists(posixpath.normpath(posixpath.join(d, soname))) for d in search if d.startswith("/"))
            if not ok:
                raise BuildError(f"{where} needs the shared library {soname}, which is not in the image: "
                                 "it would fail to load at start",
                                 f"add the Debian package that has {soname} at launch (the buildpack's list of "
                                 "native libraries), or build the extension without it")
