"""Before EXPORT: can every process start in the image? A build that exits 0 ships an image that starts.

The image's file system is known without running it: the run image's layers
(listed once per layer and remembered by diffID), the launch layers at their
targets and the app at /workspace. For each process the executable must
resolve as the kernel and the shell would: an absolute path must exist, a bare
name must be on the image's launch PATH, a relative path is taken from the
working directory. For `/bin/sh -c "…"` the shell and the script's one
command (after `exec` and variable assignments) are checked the same way, so a
`web: npm start` whose npm is not in the image fails here, not at `docker run`.
Language-specific checks (a `node FILE` target, native modules) belong to the
buildpacks. Layers that ask (`BuiltLayer.check_libraries`) also have their
shared objects' libraries looked up in the image (`builder.lifecycle.libcheck`).
"""

from __future__ import annotations

import gzip
import json
import os
import posixpath
import re
import shlex
import tarfile
from collections.abc import Sequence
from pathlib import Path

from builder.errors import BuildError
from builder.image.decompress import reader
from builder.image.image import Image
from builder.image.media import LAYER_COMPRESSION
from builder.image.layer import Layer
from builder.lifecycle.build import GroupResult
from builder.lifecycle.contract import WORKSPACE, Process
from builder.lifecycle.export import launch_env
from builder.lifecycle.libcheck import check_libraries

SHELLS = ("/bin/sh", "/bin/bash", "/usr/bin/sh", "/usr/bin/bash", "sh", "bash")
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_CONTROL = re.compile(r"&&|\|\||[;&|\n`]|\$\(")
_BUILTINS = frozenset({"exec", "cd", "export", "set", "test", "[", "echo", "true", "false", ":", ".", "source",
                       "trap", "ulimit", "umask", "wait", "eval", "printf", "read", "shift", "unset", "if", "for",
                       "while", "case"})  # fmt: skip


class ImageFiles:
    """The paths of an image-to-be: run image layers, launch layers at their targets, the app."""

    def __init__(self, run_image: Image, group: GroupResult, workspace: Path, memo_dir: Path | None = None,
                 never_ship: frozenset[str] = frozenset(), extra_layers: Sequence[Layer] = ()) -> None:
        self.roots = [(o.layer.target, o.layer.path) for o in group.launch_layers] + [(WORKSPACE, workspace)]
        self.excluded = [f"{WORKSPACE}/{e.strip('/')}" for e in group.app_excludes]
        self.never_ship = never_ship
        self.extra_layers = tuple(extra_layers)
        self.run_image = run_image
        self.memo_dir = memo_dir
        self._base: set[str] | None = None

    def exists(self, path: str) -> bool:
        """True when `path` (absolute, in the image) is a file, directory or symlink there."""
        path = posixpath.normpath(path)
        for target, host in self.roots:
            if target == WORKSPACE and self._not_shipped(path):
                continue
            if path == target or path.startswith(target + "/"):
                if os.path.lexists(host / path[len(target):].lstrip("/")):
                    return True
        return path.lstrip("/") in self.base()

    def host_path(self, path: str) -> Path | None:
        """Where `path` is on this machine, when a launch layer or the app holds it (None for the run image's)."""
        path = posixpath.normpath(path)
        for target, host in self.roots:
            if target == WORKSPACE and self._not_shipped(path):
                continue
            if path == target or path.startswith(target + "/"):
                candidate = host / path[len(target):].lstrip("/")
                if os.path.lexists(candidate):
                    return candidate
        return None

    def _not_shipped(self, path: str) -> bool:
        """True for app paths the app layer leaves out (app_excludes, .git and other never-ship names)."""
        if any(path == e or path.startswith(e + "/") for e in self.excluded):
            return True
        return any(part in self.never_ship for part in path.split("/"))

    def base(self) -> set[str]:
        """Every path of the run image and the extra layers, with top-level directory symlinks followed.

        A merged-/usr root has `bin -> usr/bin` in one layer and packages add `usr/bin/bash` in
        another, so the links are applied to the union, not layer by layer.
        """
        if self._base is None:
            names: set[str] = set()
            links: dict[str, str] = {}
            for layer in (*self.run_image.layers, *self.extra_layers):
                layer_names, layer_links = self._listing(layer)
                names |= layer_names
                links.update(layer_links)
            for name, target in links.items():
                if "/" not in name and not target.startswith("/"):
                    prefix = posixpath.normpath(target)
                    names |= {f"{name}/{n[len(prefix) + 1:]}" for n in list(names) if n.startswith(prefix + "/")}
            self._base = names
        return self._base

    def _listing(self, layer: Layer) -> tuple[set[str], dict[str, str]]:
        """The layer's paths and its symlinks {path: target}, remembered by diffID in `memo_dir`."""
        memo = self.memo_dir / f"{layer.diff_id.hex}.v2.json.gz" if self.memo_dir else None
        if memo is not None and memo.is_file():
            doc = json.loads(gzip.decompress(memo.read_bytes()))
            return set(doc["names"]), dict(doc["links"])
        names: set[str] = set()
        links: dict[str, str] = {}
        kind = LAYER_COMPRESSION.get(layer.media_type, "none")
        with layer.open() as blob, tarfile.open(fileobj=reader(blob, kind), mode="r|") as tar:
            for member in tar:
                name = posixpath.normpath(member.name.lstrip("./").lstrip("/")) if member.name not in (".", "./") else ""
                if name:
                    names.add(name)
                    if member.issym():
                        links[name] = member.linkname
        if memo is not None:
            memo.parent.mkdir(parents=True, exist_ok=True)
            tmp = memo.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_bytes(gzip.compress(json.dumps({"names": sorted(names), "links": links}, sort_keys=True).encode(),
                                          mtime=0))
            os.replace(tmp, memo)
        return names, links


def check_launch(group: GroupResult, workspace: Path, run_image: Image, *, never_ship: frozenset[str] = frozenset(),
                 memo_dir: Path | None = None, extra_layers: Sequence[Layer] = ()) -> None:
    """Raise BuildError (exit 5) naming the process and the missing piece when a process cannot start.

    `extra_layers` go on the run image first (the Debian packages buildpacks asked for at launch);
    `memo_dir` remembers each image layer's file list by diffID.
    """
    if not group.processes:
        raise BuildError(f"no start command: no buildpack of the group ({', '.join(group.buildpacks)}) "
                         "defined a process", "add a Procfile with a 'web: …' line, or the start command your "
                         "language's buildpack looks for ('dockless detect' shows it)")
    env = launch_env((run_image.config.get("config") or {}).get("Env") or [], group)
    files = ImageFiles(run_image, group, workspace, memo_dir, never_ship, extra_layers)
    path = [p for p in env.get("PATH", "").split(":") if p]
    for process in group.processes:
        _check_process(process, files, path)
    ld_library_path = [p for p in env.get("LD_LIBRARY_PATH", "").split(":") if p]
    for owned in group.launch_layers:
        if owned.layer.check_libraries:
            check_libraries(owned.layer.path, owned.layer.target, files.exists, ld_library_path)


def _check_process(process: Process, files: ImageFiles, path: list[str]) -> None:
    argv = list(process.command)
    if not argv:
        raise BuildError(f"process '{process.type}' has an empty command", "this is a bug in the buildpack")
    where = _resolve(argv[0], process.working_dir, files, path)
    if where is None:
        raise BuildError(f"process '{process.type}' cannot start: '{argv[0]}' is not in the image "
                         f"(launch PATH {':'.join(path)})", _hint(argv[0]))
    _check_interpreter(process, where, files, path)
    if argv[0] in SHELLS and len(argv) >= 3 and argv[1] == "-c":
        word = script_command(argv[2])
        if word and word not in _BUILTINS and not word.startswith("$"):
            found = _resolve(word, process.working_dir, files, path)
            if found is None:
                raise BuildError(f"process '{process.type}' cannot start: its command '{word}' is not in the "
                                 f"image (launch PATH {':'.join(path)})", _hint(word))
            _check_interpreter(process, found, files, path)


def _check_interpreter(process: Process, executable: str, files: ImageFiles, path: list[str]) -> None:
    """A script's `#!` interpreter must be in the image too, or exec fails with "not found" (execve(2)).

    Only scripts the build wrote (launch layers, the app) are read; `#!/usr/bin/env NAME` needs env and
    NAME on the launch PATH. A script written with a build-time path (a host path, a build-only tool) is
    the usual cause.
    """
    host = files.host_path(executable)
    if host is None or not host.is_file():
        return
    try:
        with host.open("rb") as f:
            first = f.readline(256)
    except OSError:
        return
    if not first.startswith(b"#!"):
        return
    if first.endswith(b"\r\n"):  # execve looks for "/bin/sh\r"
        raise BuildError(f"process '{process.type}' cannot start: {executable} has Windows line endings (CRLF), "
                         "so its #! interpreter ends in a carriage return", "convert it to LF (dos2unix, or "
                         "'* text=auto eol=lf' in .gitattributes) and commit it")
    words = first[2:].decode("utf-8", "replace").split()
    if not words:
        return
    interpreter = words[0]
    if not files.exists(interpreter):
        hint = ("start it with an interpreter the image has (#!/bin/sh), or use the buildpack of its language"
                if executable == WORKSPACE or executable.startswith(WORKSPACE + "/") else
                "this is a bug in the buildpack that wrote the script (a path from the build, not the image)")
        raise BuildError(f"process '{process.type}' cannot start: {executable} is a script for '{interpreter}', "
                         "which is not in the image", hint)
    if posixpath.basename(interpreter) == "env" and len(words) > 1 and not words[1].startswith("-") and \
            "=" not in words[1] and _resolve(words[1], process.working_dir, files, path) is None:
        raise BuildError(f"process '{process.type}' cannot start: {executable} runs '{words[1]}' through env, "
                         f"and it is not on the launch PATH {':'.join(path)}", _hint(words[1]))


def script_command(script: str) -> str | None:
    """The command a one-command shell script runs (after `exec` and assignments); None for anything more."""
    if _CONTROL.search(script):
        return None
    try:
        words = shlex.split(script)
    except ValueError:
        return None
    while words and (_ASSIGNMENT.match(words[0]) or words[0] == "exec"):
        words.pop(0)
    return words[0] if words else None


def _resolve(command: str, cwd: str, files: ImageFiles, path: list[str]) -> str | None:
    if command.startswith("/"):
        return command if files.exists(command) else None
    if "/" in command:
        full = posixpath.normpath(posixpath.join(cwd, command))
        return full if files.exists(full) else None
    for directory in path:
        full = posixpath.join(directory, command)
        if files.exists(full):
            return full
    return None


_PROVIDED_BY = {  # commands a language buildpack brings, and the file that makes it run
    "python": "requirements.txt or pyproject.toml (the python buildpack)", "python3": "requirements.txt or "
    "pyproject.toml (the python buildpack)", "gunicorn": "requirements.txt listing gunicorn",
    "uvicorn": "requirements.txt listing uvicorn", "node": "package.json (the nodejs buildpack)",
    "npm": "package.json (the nodejs buildpack; npm itself does not ship: start with node)",
    "npx": "package.json (the nodejs buildpack; npx does not ship: start with node)",
    "ruby": "Gemfile (the ruby buildpack)", "bundle": "Gemfile (the ruby buildpack)",
    "rackup": "Gemfile listing rack", "puma": "Gemfile listing puma", "java": "pom.xml or an app jar (the java "
    "buildpack)", "go": "go.mod (the go buildpack builds a binary; go itself does not ship)",
}


def _hint(command: str) -> str:
    name = posixpath.basename(command)
    if name in _PROVIDED_BY:
        return f"'{name}' comes with a language buildpack: add a {_PROVIDED_BY[name]}"
    return (f"'{name}' is not shipped: start the process with a program the image has, or use the buildpack "
            "that provides it ('dockless detect' shows which ran)")
