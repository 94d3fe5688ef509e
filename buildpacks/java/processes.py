"""Java launch processes: java by absolute path, PID 1, container arguments passed on.

    Procfile web            as written; a bare `java` runs the JRE's binary by path
    Spring Boot jar         sh -c 'SERVER_PORT="${PORT:-${SERVER_PORT:-8080}}" exec $JAVA -cp /workspace <launcher> "$@"'
    other jar (Main-Class)  [$JAVA, -cp, /workspace:/workspace/lib/*, <Main-Class>]

Spring Boot reads `server.port` from SERVER_PORT, and the platform (Knative,
`docker run -e PORT=…`) sets PORT at run time, so the shell copies it just
before `exec` (Heroku passes `-Dserver.port=$PORT` on its command line for the
same reason). The launcher class is the jar's own Main-Class:
`org.springframework.boot.loader.launch.JarLauncher` from Boot 3.2,
`org.springframework.boot.loader.JarLauncher` before; run from the unpacked
jar, as Paketo's executable-jar buildpack does, it starts faster than `-jar`.
"""

from __future__ import annotations

import posixpath
import shlex
from collections.abc import Mapping, Sequence
from pathlib import Path

from builder.buildpack.launch import ARGV0, SHELL, make_processes
from builder.errors import BuildError
from builder.lifecycle.contract import WORKSPACE, Process


def processes(procfile: Mapping[str, str], *, java: str, main_class: str, spring_boot: bool,
              root: str = WORKSPACE) -> list[Process]:
    """The Procfile's processes, with `web` from the app's jar unless the Procfile has one.

    `root` is where the unpacked app is (/workspace, or /workspace/<member> with --subdir); every process starts there.
    """
    found = make_processes(procfile, default="web", aliases={"java": java}, working_dir=root)
    if "web" in procfile or not main_class:
        return found
    if spring_boot:
        script = f'SERVER_PORT="${{PORT:-${{SERVER_PORT:-8080}}}}" exec {java} -cp {root} {main_class} "$@"'
        web = Process("web", (SHELL, "-c", script, ARGV0), default=True, working_dir=root)
    else:
        web = Process("web", (java, "-cp", f"{root}:{root}/lib/*", main_class), default=True, working_dir=root)
    return [web, *(Process(p.type, p.command, p.args, False, p.working_dir) for p in found)]


def check_jars(launch: Sequence[Process], app: Path, root: str = WORKSPACE) -> None:
    """BuildError (exit 5) for a process whose `java -jar FILE` names a jar the image does not have.

    Heroku-style Procfiles say `web: java -jar target/app.jar`; dockless ships the
    jar unpacked, without target/, so that process could not start. `app` is the
    host directory that becomes `root` in the image.
    """
    for process in launch:
        argv = list(process.command)
        text = argv[2] if argv[:2] == [SHELL, "-c"] and len(argv) > 2 else shlex.join(argv)
        try:
            words = shlex.split(text)
        except ValueError:
            continue
        for flag, value in zip(words, words[1:]):
            if flag != "-jar" or any(c in value for c in "$*?[`"):
                continue
            where = posixpath.normpath(posixpath.join(process.working_dir, value))
            rel = posixpath.relpath(where, root)
            if rel.startswith("..") or not (app / rel).is_file():
                raise BuildError(f"process '{process.type}' cannot start: its jar {value} is not in the image "
                                 "(dockless ships the application jar unpacked, without target/)",
                                 "drop the Procfile line and let dockless start the app, or start it with "
                                 "'java -cp /workspace <Main-Class>'")
