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

from collections.abc import Mapping

from builder.buildpack.launch import ARGV0, SHELL, make_processes
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
