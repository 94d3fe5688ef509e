"""Java launch processes: java by absolute path, PID 1, container arguments passed on.

    Procfile web            as written; a bare `java` runs the JRE's binary by path, and
                            `-jar <the jar the build made>` becomes `-cp <unpacked app> <Main-Class>`
    Spring Boot jar         sh -c 'SERVER_PORT="${PORT:-${SERVER_PORT:-8080}}" exec $JAVA -cp /workspace <launcher> "$@"'
    other jar (Main-Class)  [$JAVA, -cp, /workspace:/workspace/lib/*, <Main-Class>]

Spring Boot reads `server.port` from SERVER_PORT, and the platform (Knative,
`docker run -e PORT=…`) sets PORT at run time, so the shell copies it just
before `exec` (Heroku passes `-Dserver.port=$PORT` on its command line for the
same reason). The launcher class is the jar's own Main-Class:
`org.springframework.boot.loader.launch.JarLauncher` from Boot 3.2,
`org.springframework.boot.loader.JarLauncher` before; run from the unpacked
jar, as Paketo's executable-jar buildpack does, it starts faster than `-jar`.

Heroku's getting-started apps say `web: java $JAVA_OPTS -jar target/app.jar`
(Heroku ships target/ as it is). dockless ships the jar unpacked, so
`run_built_jar` rewrites `-jar PATH`, when PATH (relative, `./`, /workspace/ or
Heroku's /app/, or a glob such as target/*.jar) names the jar this build made,
into the class path that jar's own `java -jar` would have: the unpacked app
(Spring Boot's launcher reads BOOT-INF/ from it) or the app and lib/ (the
Class-Path jars beside a plain jar). Options before it and arguments after it
stay as written. A `-jar` naming any other jar fails the build (`check_jars`).
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
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


_JAR_ARG = re.compile(r"""(?P<flag>(?:^|(?<=\s))-jar\s+)(?P<path>'[^']*'|"[^"$`]*"|[^\s;&|'"]+)""")
HEROKU_APP = "/app"  # where Heroku's dynos run the app from


def run_built_jar(procfile: Mapping[str, str], built: str, *, main_class: str, spring_boot: bool,
                  root: str = WORKSPACE) -> dict[str, str]:
    """The Procfile with each `-jar PATH` that names `built` (the jar this build made, relative to the app,
    e.g. `target/shop-2.0.0.jar`) replaced by `-cp CLASSPATH MAIN` (see the module docstring).

    Lines without such a `-jar`, and every line when `built` or `main_class` is empty, are returned unchanged."""
    if not built or not main_class:
        return dict(procfile)
    classpath = root if spring_boot else shlex.quote(f"{root}:{root}/lib/*")

    def replace(match: re.Match[str]) -> str:
        path = match.group("path").strip("'\"")
        for prefix in (f"{root}/", f"{HEROKU_APP}/", "./"):
            path = path.removeprefix(prefix)
        path = posixpath.normpath(path) if path else path
        if path and (path == built or fnmatch.fnmatchcase(built, path)):
            return f"-cp {classpath} {main_class}"
        return match.group(0)

    return {name: _JAR_ARG.sub(replace, command) for name, command in procfile.items()}


def check_jars(launch: Sequence[Process], app: Path, root: str = WORKSPACE, built: str = "") -> None:
    """BuildError (exit 5) for a process whose `java -jar FILE` names a jar the image does not have.

    Heroku-style Procfiles say `web: java -jar target/app.jar`; `run_built_jar` maps the jar the build made,
    and any other jar (an old name, another version) could not start. `app` is the host directory that becomes
    `root` in the image; `built` names the jar the build made (relative to the app), for the hint.
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
                if built:
                    raise BuildError(f"process '{process.type}' cannot start: its jar {value} is not the jar this "
                                     f"build made ({built}), and only that one ships (unpacked)",
                                     f"write 'java -jar {built}' in the Procfile (or set the pom's <finalName> to "
                                     "match), or drop the line and let dockless start the app")
                raise BuildError(f"process '{process.type}' cannot start: its jar {value} is not in the image "
                                 "(dockless ships the application jar unpacked, without target/)",
                                 "drop the Procfile line and let dockless start the app, or start it with "
                                 "'java -cp /workspace <Main-Class>'")
