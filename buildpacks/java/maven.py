"""Running Maven: the command, its settings, and the local repository kept in a cache layer.

    ./mvnw (when the app has it; a lost exec bit and CRLF line ends are repaired)
    else mvn from Debian's `maven` package, installed in the build root
    arguments   BP_MAVEN_BUILD_ARGUMENTS (Paketo's variable), else `-B -DskipTests package`
                (Paketo runs `-Dmaven.test.skip=true --no-transfer-progress package`;
                -DskipTests still compiles the tests, so a broken test source fails here as there)
                + `-Dmaven.repo.local=/layers/java/m2/repository` always
    settings    BP_MAVEN_SETTINGS_PATH (Paketo's variable; relative to the app) > the app's
                settings.xml > BP_MAVEN_MIRROR_URL (a settings.xml with one mirror of `*`,
                written outside the workspace; user info in the URL becomes a `<server>`
                reading ${env.DOCKLESS_MAVEN_MIRROR_USERNAME/PASSWORD}, see `mirror_settings`)
                > none
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
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit
from xml.sax.saxutils import escape

from builder.errors import BuildError, UsageError
from builder.source import url_secrets
from detectors.java import read_pom_properties
from builder.lifecycle.contract import LAYERS, WORKSPACE

from .jdk import Jdk

HOME = f"{LAYERS}/java"
M2 = f"{HOME}/m2"
REPOSITORY = f"{M2}/repository"
BUILD_HOME = f"{HOME}/home"
MIRROR_SETTINGS = f"{HOME}/settings/settings.xml"
DEBIAN_MVN = "/usr/share/maven/bin/mvn"  # /usr/bin/mvn is an update-alternatives link extended roots lack
MIRROR_ID = "dockless-mirror"
MIRROR_USER_VAR = "DOCKLESS_MAVEN_MIRROR_USERNAME"
MIRROR_PASSWORD_VAR = "DOCKLESS_MAVEN_MIRROR_PASSWORD"
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


@dataclass(frozen=True)
class Mirror:
    """BP_MAVEN_MIRROR_URL split: the URL Maven sees (no user info) and the credentials it carried (percent-decoded)."""

    url: str
    username: str = ""
    password: str = ""
    raw: str = ""

    @property
    def env(self) -> dict[str, str]:
        """The variables settings.xml's `<server>` reads the credentials from (`${env.NAME}`): build env only."""
        if not (self.username or self.password):
            return {}
        return {MIRROR_USER_VAR: self.username, MIRROR_PASSWORD_VAR: self.password}

    @property
    def secrets(self) -> tuple[str, ...]:
        """The literal secrets to scrub from any text Maven prints (raw and percent-decoded, longest first)."""
        return url_secrets(self.raw)


def mirror(url: str) -> Mirror:
    """Split BP_MAVEN_MIRROR_URL (`https://user:token@host/maven2`) into the URL without user info and the
    credentials; a URL without user info is kept as it is."""
    text = url.strip()
    try:
        parts = urlsplit(text)
    except ValueError:
        raise BuildError("BP_MAVEN_MIRROR_URL is not a URL", "give the mirror's URL, e.g. "
                         "https://repo.example.com/maven2 (credentials as https://user:token@host/…)") from None
    if "@" not in parts.netloc:
        return Mirror(text, raw=text)
    userinfo, _, host = parts.netloc.rpartition("@")
    user, _, password = userinfo.partition(":")
    return Mirror(urlunsplit(parts._replace(netloc=host)), unquote(user), unquote(password), raw=text)


def mirror_settings(found: Mirror) -> str:
    """A settings.xml that sends every repository request to the mirror (Maven's `<mirrorOf>*</mirrorOf>`).

    Credentials become a `<server>` whose id is the mirror's (Maven's documented
    way to authenticate to a mirror) and whose username and password are
    `${env.…}` references that Maven interpolates when it reads the file: the
    file itself holds no secret, and the URL Maven prints in "Downloading from"
    lines has no user info (Paketo asks for a settings.xml binding the same way).
    """
    server = ""
    if found.env:
        server = (f"  <servers>\n    <server>\n      <id>{MIRROR_ID}</id>\n"
                  f"      <username>${{env.{MIRROR_USER_VAR}}}</username>\n"
                  f"      <password>${{env.{MIRROR_PASSWORD_VAR}}}</password>\n    </server>\n  </servers>\n")
    return ("<settings xmlns=\"http://maven.apache.org/SETTINGS/1.0.0\">\n" + server + "  <mirrors>\n    <mirror>\n"
            f"      <id>{MIRROR_ID}</id>\n      <mirrorOf>*</mirrorOf>\n"
            f"      <url>{escape(found.url)}</url>\n    </mirror>\n  </mirrors>\n</settings>\n")


def maven_env(env: Mapping[str, str], jdk: Jdk) -> dict[str, str]:
    """The build env for Maven: the user's (minus JAVA_TOOL_OPTIONS, moved into MAVEN_OPTS, and BP_MAVEN_MIRROR_URL,
    whose credentials reach Maven only through `Mirror.env`), the mirror's credentials, and the JDK."""
    out = {k: v for k, v in env.items() if k not in ("JAVA_TOOL_OPTIONS", "BP_MAVEN_MIRROR_URL")}
    if env.get("JAVA_TOOL_OPTIONS", "").strip():
        out["MAVEN_OPTS"] = f"{env.get('MAVEN_OPTS', '')} {env['JAVA_TOOL_OPTIONS']}".strip()
    if env.get("BP_MAVEN_MIRROR_URL", "").strip():
        out.update(mirror(env["BP_MAVEN_MIRROR_URL"]).env)
    out.update({"JAVA_HOME": jdk.home, "PATH": f"{jdk.home}/bin", "MAVEN_USER_HOME": M2, "HOME": BUILD_HOME})
    return out
