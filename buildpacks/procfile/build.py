"""The Procfile buildpack: the Procfile's processes on the stack, with busybox's tools at launch.

The run image has a shell (dash as /bin/sh) and little else: no coreutils, no
nc, no sed. So that shell scripts and one-liners run as written, the image
gets Debian's `busybox-static` (one 2 MB static binary) and a launch layer of
links to it, one per applet, at the end of PATH
(/layers/procfile/busybox/applets): a program the stack has (/bin/sh) is
still the stack's, and `nc`, `httpd`, `sed`, `wget`… are busybox's. The
applets are those the binary lists (`busybox --list`, run in the build root
with the same package).

A program that ignores SIGTERM as PID 1 (busybox httpd does) makes `docker
stop` wait for its kill; the example examples/procfile-shell keeps its shell
as PID 1 with a `trap` for that.

Scripts a process runs from the app (`web: ./start.sh`) must be executable,
and their interpreter must be in the image: `#!/bin/bash` adds Debian's
`bash`, `#!/usr/bin/env X` adds `coreutils` (for /usr/bin/env) and X's
package when it is bash; an interpreter dockless cannot provide is a
BuildError (exit 5) naming the script, as is a script without its executable
bit. The lifecycle's launch check then verifies every process's executable.

The processes are the Procfile's (`make_processes`: `web` is the default, the
app is PID 1 where the command allows it, container arguments are passed on).
"""

from __future__ import annotations

import os
import posixpath
import shlex
from dataclasses import dataclass
from pathlib import Path

from builder.buildpack.launch import SHELL, make_processes
from builder.buildpack.procfile import read_procfile
from builder.errors import BuildError
from builder.lifecycle.contract import LAYERS, WORKSPACE, BuildContext, BuildResult, BuiltLayer, Process

BUILDPACK = "procfile"
BUSYBOX_PACKAGE = "busybox-static"
APPLETS = f"{LAYERS}/{BUILDPACK}/busybox"
INTERPRETERS = {  # a script's interpreter -> the Debian package that puts it in the image ("" : the stack's)
    "/bin/sh": "", "/usr/bin/sh": "", "/bin/dash": "", "/usr/bin/dash": "",
    "/bin/bash": "bash", "/usr/bin/bash": "bash",
    "/bin/busybox": "", "/usr/bin/busybox": "",
}
ENV_PROGRAMS = {"sh": "", "dash": "", "bash": "bash", "busybox": ""}  # `#!/usr/bin/env X`


@dataclass(frozen=True)
class ProcfileBuildpack:
    """Runs the Procfile's processes with busybox's tools on PATH."""

    id: str = BUILDPACK

    def build(self, ctx: BuildContext) -> BuildResult:
        if ctx.packages is None:
            raise BuildError("the Procfile buildpack needs the Debian stack's packages (busybox), and this build "
                             "has none", "build with the default stack (no --run-image that lacks a Debian archive)")
        app = ctx.workspace / ctx.app_dir
        app_dir = posixpath.normpath(posixpath.join(WORKSPACE, ctx.app_dir))
        commands = read_procfile(app)
        if "web" not in commands:
            raise BuildError("the Procfile has no web process", "add a line 'web: <command>' to the Procfile")
        processes = make_processes(commands, working_dir=app_dir)
        packages = {BUSYBOX_PACKAGE}
        for process in processes:
            packages |= script_packages(process, app, app_dir)
        ctx.packages.add(sorted(packages), build=False, launch=True)
        ctx.packages.add([BUSYBOX_PACKAGE], build=True, launch=False)
        listed = ctx.executor.run(["/bin/sh", "-c", "command -v busybox && busybox --list"], what="busybox --list")
        lines = listed.stdout.split()
        if len(lines) < 2 or not lines[0].startswith("/"):
            raise BuildError(f"busybox did not list its applets: {listed.stdout.strip()[:80]!r}",
                             f"check that {BUSYBOX_PACKAGE} installs on this stack")
        busybox, applets = lines[0], sorted(set(lines[1:]) - {"busybox"})
        layer = ctx.layers_dir / "busybox"
        (layer / "applets").mkdir(parents=True, exist_ok=True)  # not bin/: the lifecycle would put it first
        for applet in applets:
            if "/" not in applet and applet not in (".", ".."):
                (layer / "applets" / applet).symlink_to(busybox)
        ctx.log(f"{', '.join(sorted(packages))} at launch; {len(applets)} busybox applets on PATH "
                f"(after the stack's own programs)")
        for kind, text in commands.items():
            ctx.log(f"process {kind}: {text}")
        launch_env = {"PATH.append": f"{APPLETS}/applets", "PATH.delim": ":", "PORT": ctx.env.get("PORT", "8080")}
        return BuildResult([BuiltLayer("busybox", layer, APPLETS, launch=True)], processes, launch_env)


def script_packages(process: Process, app: Path, app_dir: str) -> set[str]:
    """The Debian packages the app script `process` runs needs for its interpreter (set() for none or for
    a program that is not an app file). Raises BuildError for a script that is not executable or whose
    interpreter the image cannot have."""
    program = _program(process)
    if "/" not in program:  # on PATH (or nothing): the lifecycle's launch check looks for it
        return set()
    if program.startswith("/"):
        if not program.startswith(app_dir + "/"):
            return set()  # the stack's or a layer's program
        program = program[len(app_dir) + 1:]
    rel = posixpath.normpath(program)
    host = app / rel
    if not host.is_file():
        return set()  # missing: the launch check says so
    if not os.access(host, os.X_OK):
        raise BuildError(f"the {process.type} process runs {rel}, which is not executable",
                         f"run `git update-index --chmod=+x {rel}` and commit, or write 'sh {rel}' in the Procfile")
    with host.open("rb") as f:
        first = f.readline(256)
    if not first.startswith(b"#!"):
        return set()  # a binary, or a script the shell runs itself
    words = first[2:].decode("utf-8", errors="replace").split()
    if not words:
        return set()
    interpreter = words[0]
    if interpreter in INTERPRETERS:
        return {INTERPRETERS[interpreter]} - {""}
    if interpreter in ("/usr/bin/env", "/bin/env") and len(words) > 1 and words[1] in ENV_PROGRAMS:
        return {"coreutils", ENV_PROGRAMS[words[1]]} - {""}
    raise BuildError(f"{rel} starts with '#!{' '.join(words)}', an interpreter the image does not have",
                     "use #!/bin/sh or #!/bin/bash, or let a language buildpack build the app")


def _program(process: Process) -> str:
    """The program a process runs: argv[0], or the one command of a `sh -c` script (after `exec`)."""
    argv = list(process.command)
    if argv[:2] == [SHELL, "-c"] and len(argv) > 2:
        try:
            words = shlex.split(argv[2])
        except ValueError:
            return ""
        while words and ("=" in words[0] and not words[0].startswith("=") or words[0] == "exec"):
            words = words[1:]
        return words[0] if words else ""
    return argv[0] if argv else ""
