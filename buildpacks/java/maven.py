"""Running Maven: the command, its settings, and the local repository kept in a cache layer.

    ./mvnw (when the app has it; a lost exec bit and CRLF line ends are repaired)
    else mvn from Debian's `maven` package, installed in the build root
    arguments   BP_MAVEN_BUILD_ARGUMENTS (Paketo's variable), else `-B -DskipTests package`
                (Paketo runs `-Dmaven.test.skip=true --no-transfer-progress package`;
                -DskipTests still compiles the tests, so a broken test source fails here as there)
                + `-Dmaven.repo.local=/layers/java/m2/repository` always
    settings    BP_MAVEN_SETTINGS_PATH (Paketo's variable; relative to the app) > the app's
                settings.xml > BP_MAVEN_MIRROR_URL (a settings.xml with one mirror of `*`,
                written outside the workspace) > none
    env         JAVA_HOME of the chosen JDK, its bin/ first on PATH, MAVEN_USER_HOME (the
                wrapper's downloaded Mavens) in the cache layer too

The local repository is a cache layer keyed by every pom.xml's digest and the
JDK major, so a code-only change finds it and Maven downloads nothing; a pom
change starts it afresh (Heroku keys its Maven cache the same coarse way).

The host's CAs reach every JVM through the executor's JAVA_TOOL_OPTIONS
truststore; a JAVA_TOOL_OPTIONS from the build env would replace that variable,
so it is appended to MAVEN_OPTS instead (the Maven JVM reads both).
"""

from __future__ import annotations

import hashlib
import shlex
from collections.abc import Mapping
from pathlib import Path
from xml.sax.saxutils import escape

from builder.errors import BuildError, UsageError
from detectors.java import read_pom_properties
from builder.lifecycle.contract import LAYERS, WORKSPACE

from .jdk import Jdk

HOME = f"{LAYERS}/java"
M2 = f"{HOME}/m2"
REPOSITORY = f"{M2}/repository"
BUILD_HOME = f"{HOME}/home"
MIRROR_SETTINGS = f"{HOME}/settings/settings.xml"
DEBIAN_MVN = "/usr/share/maven/bin/mvn"  # /usr/bin/mvn is an update-alternatives link extended roots lack
DEFAULT_ARGS = ("-B", "-DskipTests", "package")


def repair_wrapper(workspace: Path) -> None:
    """Give mvnw its exec bit back and strip CRLF line ends (a checkout on Windows loses both)."""
    script = workspace / "mvnw"
    data = script.read_bytes()
    if b"\r\n" in data:
        script.write_bytes(data.replace(b"\r\n", b"\n"))
    script.chmod(0o755)


def poms_digest(workspace: Path) -> str:
    """sha256 over every pom.xml of the project (modules included), by relative path, target/ skipped."""
    digest = hashlib.sha256()
    for pom in sorted(workspace.rglob("pom.xml")):
        rel = pom.relative_to(workspace)
        if "target" in rel.parts or any(p.startswith(".") for p in rel.parts):
            continue
        digest.update(str(rel).encode() + b"\0" + pom.read_bytes() + b"\0")
    return digest.hexdigest()


def command(workspace: Path, env: Mapping[str, str], tool: str) -> list[str]:
    """The Maven argv (see the module docstring)."""
    program = ["./mvnw"] if tool == "mvnw" else [DEBIAN_MVN]
    try:
        args = shlex.split(env["BP_MAVEN_BUILD_ARGUMENTS"]) if env.get("BP_MAVEN_BUILD_ARGUMENTS", "").strip() \
            else list(DEFAULT_ARGS)
    except ValueError as exc:
        raise BuildError(f"BP_MAVEN_BUILD_ARGUMENTS cannot be split into words: {exc}",
                         "balance the quotes in BP_MAVEN_BUILD_ARGUMENTS") from None
    settings = _settings(workspace, env)
    return [*program, *(["--settings", settings] if settings else []), *args, *compiler_levels(workspace),
            f"-Dmaven.repo.local={REPOSITORY}"]


def compiler_levels(workspace: Path) -> list[str]:
    """`-Dmaven.compiler.source/target=R` for a pom that sets only `maven.compiler.release` R.

    maven-compiler-plugin before 3.6 ignores `release`, and Maven 3.8 (Debian
    bookworm's, where a Java 17 build runs) binds 3.1 unless the pom pins a
    version: it then compiles at level 5, which JDK 17 refuses ("Source option 5
    is no longer supported"). Newer plugins let `release` win, so this changes
    nothing there. A pom that sets source/target itself is left alone.
    """
    try:
        props = read_pom_properties(workspace / "pom.xml")
    except (OSError, UsageError):
        return []
    release = props.get("maven.compiler.release", "").strip()
    if not release or "maven.compiler.source" in props or "maven.compiler.target" in props:
        return []
    return [f"-Dmaven.compiler.source={release}", f"-Dmaven.compiler.target={release}"]


def _settings(workspace: Path, env: Mapping[str, str]) -> str | None:
    given = env.get("BP_MAVEN_SETTINGS_PATH", "").strip()
    if given:
        path = given if given.startswith("/") else f"{WORKSPACE}/{given}"
        if not given.startswith("/") and not (workspace / given).is_file():
            raise BuildError(f"BP_MAVEN_SETTINGS_PATH names {given}, which the app does not have",
                             "give a path relative to the app's root, or an absolute path in the build")
        return path
    if (workspace / "settings.xml").is_file():
        return f"{WORKSPACE}/settings.xml"
    if env.get("BP_MAVEN_MIRROR_URL", "").strip():
        return MIRROR_SETTINGS
    return None


def mirror_settings(url: str) -> str:
    """A settings.xml that sends every repository request to `url` (Maven's `<mirrorOf>*</mirrorOf>`)."""
    return ("<settings xmlns=\"http://maven.apache.org/SETTINGS/1.0.0\">\n  <mirrors>\n    <mirror>\n"
            "      <id>dockless-mirror</id>\n      <mirrorOf>*</mirrorOf>\n"
            f"      <url>{escape(url.strip())}</url>\n    </mirror>\n  </mirrors>\n</settings>\n")


def maven_env(env: Mapping[str, str], jdk: Jdk) -> dict[str, str]:
    """The build env for Maven: the user's (minus JAVA_TOOL_OPTIONS, moved into MAVEN_OPTS) and the JDK."""
    out = {k: v for k, v in env.items() if k != "JAVA_TOOL_OPTIONS"}
    if env.get("JAVA_TOOL_OPTIONS", "").strip():
        out["MAVEN_OPTS"] = f"{env.get('MAVEN_OPTS', '')} {env['JAVA_TOOL_OPTIONS']}".strip()
    out.update({"JAVA_HOME": jdk.home, "PATH": f"{jdk.home}/bin", "MAVEN_USER_HOME": M2, "HOME": BUILD_HOME})
    return out
