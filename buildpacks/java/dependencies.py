"""The app's release dependencies (and Spring Boot's loader) in a launch layer of their own.

Paketo (from Boot's BOOT-INF/layers.idx) and Jib put the dependency jars in
image layers apart from the application's classes, so a code change pushes
kilobytes, not the 20 MB of BOOT-INF/lib. dockless does the same with one
cached launch layer, /layers/java/dependencies, that mirrors the unpacked
app's paths under `app/`:

    /layers/java/dependencies/app/BOOT-INF/lib/spring-core-6.2.12.jar   (Boot's release jars)
    /layers/java/dependencies/app/org/springframework/boot/loader/…      (Boot's launcher classes)
    /layers/java/dependencies/app/lib/gson-2.11.0.jar                    (a plain jar's target/lib)

and each moved path of the app becomes a symlink to it
(`/workspace/BOOT-INF/lib/spring-core-6.2.12.jar -> /layers/java/dependencies/app/BOOT-INF/lib/…`),
so the app starts exactly as before: `java -cp /workspace <JarLauncher>`
finds its jars in BOOT-INF/lib (and the launcher's own classes under
/workspace, its archive root), a plain jar's `-cp /workspace:/workspace/lib/*`
and manifest Class-Path find theirs in lib/.

What moves: the BOOT-INF/lib jars that layers.idx puts in a layer other than
`application` and `snapshot-dependencies`, else (no layers.idx, Boot before
2.3) every BOOT-INF/lib jar whose name has no SNAPSHOT; the same for a plain
jar's lib/. Snapshot jars stay with the app (they change between builds of
the same version). The layer is keyed by every moved file's path and sha256,
so a code-only change reuses it (and its digest) and uploads only the app layer.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from pathlib import Path, PurePosixPath

from .maven import HOME

LAYER = "dependencies"
TARGET = f"{HOME}/{LAYER}"
MIRROR = "app"  # the layer's subdirectory that mirrors the app's paths (a top-level lib/ would join LD_LIBRARY_PATH)
LOADER = "org/springframework/boot/loader"  # Boot's launcher classes at the jar's root (layers.idx: spring-boot-loader)
STAY = ("application", "snapshot-dependencies")  # layers.idx layers that stay in the app layer

_LAYER_LINE = re.compile(r'^- "(?P<name>[^"]+)":\s*$')
_ENTRY_LINE = re.compile(r'^\s+- "(?P<path>[^"]+)"\s*$')


def parse_layers_idx(text: str) -> list[tuple[str, str]]:
    """(entry, layer) pairs of a Spring Boot BOOT-INF/layers.idx, in order; an entry ending in `/` is a prefix."""
    pairs: list[tuple[str, str]] = []
    layer = ""
    for line in text.splitlines():
        if match := _LAYER_LINE.match(line):
            layer = match["name"]
        elif (match := _ENTRY_LINE.match(line)) and layer:
            pairs.append((match["path"], layer))
    return pairs


def layer_of(path: str, index: list[tuple[str, str]]) -> str:
    """The layers.idx layer of an app-relative `path` (the first entry that names it or a directory above it)."""
    for entry, layer in index:
        if path == entry or (entry.endswith("/") and path.startswith(entry)):
            return layer
    return ""


def select(app: Path) -> list[str]:
    """The app-relative paths (jars, and Boot's loader directory) that go to the dependencies layer."""
    idx = app / "BOOT-INF/layers.idx"
    index = parse_layers_idx(idx.read_text(encoding="utf-8", errors="replace")) if idx.is_file() else None
    chosen: list[str] = []
    for lib in ("BOOT-INF/lib", "lib"):
        for jar in sorted((app / lib).glob("*.jar")):
            if jar.is_symlink() or not jar.is_file():
                continue
            rel = f"{lib}/{jar.name}"
            if lib == "BOOT-INF/lib" and index is not None:
                if layer_of(rel, index) not in ("", *STAY):
                    chosen.append(rel)
            elif "SNAPSHOT" not in jar.name:
                chosen.append(rel)
    loader = app / LOADER
    if loader.is_dir() and not loader.is_symlink() and (app / "BOOT-INF").is_dir():
        chosen.append(LOADER)
    return chosen


def files(app: Path, paths: list[str]) -> list[str]:
    """Every regular file the moved `paths` hold (a directory's files too), app-relative, sorted."""
    found: list[str] = []
    for rel in paths:
        if (app / rel).is_dir():
            for directory, _, names in os.walk(app / rel):
                found += [PurePosixPath(Path(directory, n).relative_to(app)).as_posix() for n in names]
        else:
            found.append(rel)
    return sorted(found)


def key(app: Path, paths: list[str]) -> dict[str, str]:
    """The layer's cache metadata: a sha256 over every moved file's path and sha256 (same jars, same layer)."""
    listing = hashlib.sha256()
    moved = files(app, paths)
    for rel in moved:
        digest = hashlib.sha256()
        with open(app / rel, "rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
        listing.update(f"{rel}\0{digest.hexdigest()}\n".encode())
    return {"files": listing.hexdigest(), "count": str(len(moved))}


def copy(app: Path, paths: list[str], layer: Path) -> None:
    """Copy the moved `paths` of `app` into `layer`/app/ at the same relative paths, with fixed modes (0644/0755)."""
    for rel in paths:
        source, dest = app / rel, layer / MIRROR / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, dest)
        else:
            shutil.copyfile(source, dest)
    for directory, _, names in os.walk(layer):
        os.chmod(directory, 0o755)
        for name in names:
            os.chmod(os.path.join(directory, name), 0o644)


def link(app: Path, paths: list[str]) -> None:
    """Replace each moved path of `app` by a symlink to its copy in the layer (an absolute path in the image)."""
    for rel in paths:
        here = app / rel
        if here.is_dir() and not here.is_symlink():
            shutil.rmtree(here)
        else:
            here.unlink()
        here.symlink_to(f"{TARGET}/{MIRROR}/{rel}")


def size(app: Path, paths: list[str]) -> int:
    """Bytes the moved `paths` hold."""
    return sum((app / rel).stat().st_size for rel in files(app, paths))
