"""The Java detector: is this a JVM app, how is it built, and which Java does it ask for?

It follows the conventions users already rely on with Paketo and Heroku, so an
app that builds there builds here unchanged:

    build tool    mvnw (Maven wrapper) > pom.xml (Maven from Debian) > a prebuilt
                  application jar at the root (`*.jar` whose manifest has Main-Class)
                  > an exploded jar (META-INF/MANIFEST.MF at the root)
                  > build.gradle[.kts]: detected, then refused by the build (exit 5)
    Java version  BP_JVM_VERSION (build env) > system.properties java.runtime.version
                  > pom.xml maven.compiler.release > maven.compiler.target
                  > maven.compiler.source > java.version > the jar's Build-Jdk-Spec
                  > the newest LTS the stack offers

BP_JVM_VERSION is Paketo's variable, system.properties Heroku's file; both name
the runtime exactly. The pom's and the manifest's values say which Java the
code was *compiled for*, a minimum: the buildpack picks the oldest Java the
stack offers that is at least that (javac 21 compiles `--release 17` code).

Gradle passes detection and the build refuses it in one line (exit 5), rather
than failing detection: a failed detection would end as "no buildpack matched"
(exit 4), which hides that dockless did recognise the app and says nothing
about why it was not built.

It provides `jdk` and `jre` and requires both itself, as one buildpack (Paketo
splits a jvm buildpack from a maven one; here the JDK and JRE are Debian
packages the same code asks for, so one buildpack keeps the version logic in
one place, and a later buildpack of a group can still require `jdk` for its
build). Everything found is in the metadata of the `jdk` requirement:

    java_version          the version as written ("" when none)
    java_version_source   where it came from ("pom.xml maven.compiler.release", …, "default")
    java_version_exact    "true" for BP_JVM_VERSION and system.properties, else "false"
    build_tool            mvnw | maven | jar | exploded | gradle
    jar                   the prebuilt jar's file name (build_tool jar), else ""
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

from builder.errors import UsageError
from builder.lifecycle.contract import Detection, Require

POM_VERSION_PROPERTIES = ("maven.compiler.release", "maven.compiler.target", "maven.compiler.source", "java.version")
_PROPERTY_REF = re.compile(r"\$\{([^}]+)\}")


@dataclass(frozen=True)
class JavaDetector:
    """Passes on mvnw, pom.xml, a prebuilt or exploded application jar, or a Gradle build (refused in build)."""

    id: str = "java"

    def detect(self, workspace: Path, env: Mapping[str, str], app_dir: str = "") -> Detection:
        root = workspace / app_dir
        meta: dict[str, str] = {"jar": ""}
        manifest: dict[str, str] = {}
        if (root / "mvnw").is_file() or (root / "pom.xml").is_file():
            meta["build_tool"] = "mvnw" if (root / "mvnw").is_file() else "maven"
            found = "found mvnw: Maven through its wrapper" if meta["build_tool"] == "mvnw" \
                else "found pom.xml: Maven (Debian's maven)"
        elif (jar := application_jar(root)) is not None:
            meta["build_tool"], meta["jar"] = "jar", jar.name
            manifest = read_jar_manifest(jar)
            found = f"found {jar.name} with Main-Class {manifest.get('Main-Class', '')}: a prebuilt application jar"
        elif (root / "META-INF/MANIFEST.MF").is_file():
            meta["build_tool"] = "exploded"
            manifest = parse_manifest((root / "META-INF/MANIFEST.MF").read_bytes())
            found = "found META-INF/MANIFEST.MF: an exploded application jar"
        elif (root / "build.gradle").is_file() or (root / "build.gradle.kts").is_file():
            meta["build_tool"] = "gradle"
            found = "found a Gradle build: the build refuses it (Gradle is not supported yet)"
        else:
            return Detection(self.id, False, ("no pom.xml, mvnw, application jar or META-INF/MANIFEST.MF at the root",))
        pom = read_pom_properties(root / "pom.xml") if (root / "pom.xml").is_file() else {}
        reasons = [found, _java_version(root, env, pom, manifest, meta)]
        return Detection(self.id, True, tuple(reasons), provides=("jdk", "jre"),
                         requires=(Require("jdk", meta), Require("jre", {"launch": "true"})))


def _java_version(root: Path, env: Mapping[str, str], pom: Mapping[str, str], manifest: Mapping[str, str],
                  meta: dict[str, str]) -> str:
    """Record the Java version asked for and its source; return the sentence saying so."""
    candidates: list[tuple[str, str, bool]] = [
        ("BP_JVM_VERSION", env.get("BP_JVM_VERSION", "").strip(), True),
        ("system.properties java.runtime.version", _system_properties(root).get("java.runtime.version", ""), True),
        *((f"pom.xml {name}", pom.get(name, ""), False) for name in POM_VERSION_PROPERTIES),
        ("META-INF/MANIFEST.MF Build-Jdk-Spec", manifest.get("Build-Jdk-Spec", ""), False),
    ]
    for source, value, exact in candidates:
        if value.strip():
            meta.update(java_version=value.strip(), java_version_source=source, java_version_exact=str(exact).lower())
            kind = "exactly" if exact else "at least"
            return f"Java {kind} '{value.strip()}' from {source}"
    meta.update(java_version="", java_version_source="default", java_version_exact="false")
    return "no Java version asked for (BP_JVM_VERSION, system.properties, pom.xml): the newest LTS the stack offers"


def _system_properties(root: Path) -> dict[str, str]:
    """Heroku's system.properties: `key=value` lines (`#` comments); a UTF-8 BOM (Windows editors) is not part of the
    first key, as with .python-version and .ruby-version."""
    try:
        text = (root / "system.properties").read_text(encoding="utf-8-sig", errors="replace")
    except (FileNotFoundError, IsADirectoryError):
        return {}
    found = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and not key.strip().startswith(("#", "!")):
            found[key.strip()] = value.strip()
    return found


def read_pom_properties(path: Path) -> dict[str, str]:
    """The `<properties>` of a pom.xml, `${other}` references resolved; a syntax error is a UsageError with line and column."""
    try:
        tree = ElementTree.parse(path)
    except ElementTree.ParseError as exc:
        line, column = exc.position
        raise UsageError(f"{path.name} is not well-formed XML: line {line} column {column + 1}: "
                         f"{str(exc).split(':')[0]}",
                         f"fix the syntax of {path.name} (an unclosed or mismatched tag is usual)") from None
    root = tree.getroot()
    ns = root.tag[: root.tag.index("}") + 1] if root.tag.startswith("{") else ""
    if root.tag != f"{ns}project":
        raise UsageError(f"{path.name} does not hold a Maven <project> (its root is <{root.tag.removeprefix(ns)}>)",
                         "a pom.xml starts with <project xmlns=\"http://maven.apache.org/POM/4.0.0\">")
    props = {child.tag.removeprefix(ns): (child.text or "").strip()
             for child in root.findall(f"{ns}properties/*") if isinstance(child.tag, str)}
    for _ in range(5):  # ${a} -> ${b} -> value; a loop stays unresolved
        props = {k: _PROPERTY_REF.sub(lambda m: props.get(m.group(1), m.group(0)), v) for k, v in props.items()}
    return {k: v for k, v in props.items() if not _PROPERTY_REF.search(v)}


def parse_manifest(data: bytes) -> dict[str, str]:
    """A jar manifest's main section: `Name: value` lines, continuation lines (a leading space) joined."""
    text = data.decode("utf-8", errors="replace").replace("\r\n", "\n").replace("\r", "\n")
    main = text.split("\n\n", 1)[0]
    fields: dict[str, str] = {}
    last = ""
    for line in main.split("\n"):
        if line.startswith(" ") and last:
            fields[last] += line[1:]
        elif ":" in line:
            last, _, value = line.partition(":")
            fields[last] = value.strip()
    return fields


def read_jar_manifest(jar: Path) -> dict[str, str]:
    """The main section of a jar's META-INF/MANIFEST.MF ({} when it has none or is not a zip)."""
    try:
        with zipfile.ZipFile(jar) as archive:
            return parse_manifest(archive.read("META-INF/MANIFEST.MF"))
    except (KeyError, OSError, zipfile.BadZipFile):
        return {}


def application_jar(root: Path) -> Path | None:
    """The one `*.jar` at the root whose manifest names a Main-Class (the first by name when several do)."""
    jars = sorted(p for p in root.glob("*.jar") if p.is_file())
    return next((jar for jar in jars if read_jar_manifest(jar).get("Main-Class")), None)
