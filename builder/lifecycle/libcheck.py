"""Before EXPORT: do the compiled objects of a launch layer find their shared libraries in the image?

A Ruby gem's C extension (or any `.so` a buildpack compiled) is linked at build
against the build root's libraries; the image holds only the run image and the
launch packages. A library present at build and absent at launch installs
cleanly and fails at the first `require` with "cannot open shared object
file". For each layer that asks (`BuiltLayer.check_libraries`), the layer's
ELF shared objects are loaded as ld.so(8) (glibc's `_dl_map_object`) would load
them, and every DT_NEEDED name must be found:

    0. a library of that name already loaded in the same load (by the name it
       was asked for, or its DT_SONAME)
    1. the asking object's DT_RUNPATH; or, when it has none, its DT_RPATH and
       then the DT_RPATH of each object that loaded it, up the chain
       (`$ORIGIN` = the directory of the object the path belongs to)
    2. the launch LD_LIBRARY_PATH
    3. the system directories: /lib/<triplet>, /usr/lib/<triplet>, /lib, /usr/lib, /usr/local/lib
       (Debian's ld.so.conf.d multiarch entries, then the defaults)

Step 1's inheritance is what manylinux wheels rely on: auditwheel gives the
extension (psycopg2's `_psycopg….so`) a DT_RPATH to its `<pkg>.libs/` and the
bundled libraries there none, so `libgssapi_krb5-….so` finds `libkrb5-….so`
only as a dependency of the extension. So a load starts at each *root*: an
object no other object of the layer loads (an extension the interpreter
dlopens, a program's library); objects only ever loaded by others are checked
in their loaders' loads.

A name that is found nowhere is a BuildError (exit 5) naming the object and the library.
"""

from __future__ import annotations

import os
import posixpath
import re
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

from builder.buildpack.elf import Dynamic, dynamic
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
    """BuildError for the first load, from a root under `host` (the layer, mounted at `target` in the image), that
    needs a library `exists(image path)` cannot find where ld.so would look (rules above)."""
    objects = {posixpath.join(target, path.relative_to(host).as_posix()): found
               for path in shared_objects(host) if (found := dynamic(path)) is not None}

    def canonical(path: str) -> str:
        """A path into the layer through a symlink (libx.so.1 -> libx.so.1.2) as the file it names."""
        if not path.startswith(target.rstrip("/") + "/"):
            return path
        real = (host / posixpath.relpath(path, target)).resolve()
        return posixpath.join(target, real.relative_to(host.resolve()).as_posix()) if real.is_relative_to(
            host.resolve()) else path

    loads = {where: _load(where, objects, exists, canonical, ld_library_path) for where in objects}
    loaded_by_others = {dep for where, (_, deps) in loads.items() for dep in deps if dep != where}
    for where, (missing, _) in loads.items():
        if where in loaded_by_others or not missing:
            continue
        asker, soname = missing[0]
        raise BuildError(f"{asker} needs the shared library {soname}, which is not in the image: "
                         "it would fail to load at start",
                         f"add the Debian package that has {soname} at launch (the buildpack's list of "
                         "native libraries), or build the extension without it")


def _load(root: str, objects: Mapping[str, Dynamic], exists: Callable[[str], bool], canonical: Callable[[str], str],
          ld_library_path: Sequence[str]) -> tuple[list[tuple[str, str]], set[str]]:
    """Load `root` as ld.so would: ([(object, soname) not found], the layer's objects it loaded)."""
    loaded = {posixpath.basename(root), objects[root].soname} - {""}
    reached: set[str] = set()
    missing: list[tuple[str, str]] = []
    queue: deque[tuple[str, tuple[str, ...]]] = deque([(root, ())])  # (object, its loaders' DT_RPATH dirs)
    while queue:
        where, chain = queue.popleft()
        found = objects[where]
        origin = posixpath.dirname(where)
        own = tuple(d.replace("$ORIGIN", origin).replace("${ORIGIN}", origin) for d in found.runpath)
        inherited = (*own, *chain) if found.inherited else chain  # its DT_RPATH and its loaders'
        has_runpath = bool(own) and not found.inherited  # then no DT_RPATH at all is searched for its needs
        search = [*(own if has_runpath else inherited), *ld_library_path, *SYSTEM_DIRS]
        for soname in found.needed:
            if soname in loaded:
                continue
            if "/" in soname:
                candidates = [posixpath.normpath(posixpath.join(origin, soname))]
            else:
                candidates = [posixpath.normpath(posixpath.join(d, soname)) for d in search if d.startswith("/")]
            path = next((c for c in candidates if exists(c)), None)
            if path is None:
                missing.append((where, soname))
                continue
            loaded.add(soname)
            path = canonical(path)
            if path in objects and path not in reached and path != root:
                reached.add(path)
                loaded.add(objects[path].soname or soname)
                queue.append((path, inherited))
    return missing, reached
