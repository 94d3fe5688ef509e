"""The application jar: found among a build's outputs, unpacked safely, and read for the SBOM.

Finding it follows Paketo's executable-jar rule: Spring Boot's repackaged jar
(manifest `Spring-Boot-Classes`, or a Main-Class in
`org.springframework.boot.loader`) first, else a jar with a Main-Class;
`*-sources.jar`, `*-javadoc.jar`, `*-tests.jar` and Boot's `*.jar.original`
are never the app.

Unpacking writes regular files and directories only, with fixed modes (0644 /
0755): zip timestamps, zip permissions, symlinks and `..` paths never reach the
layer (the tar writer then fixes every mtime), so the same jar gives the same
bytes, as Jib's reproducible layers do.
"""

from __future__ import annotations

import os
import shutil
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import quote

from builder.errors import BuildError
from builder.lifecycle.contract import Component
from detectors.java import read_jar_manifest

NOT_APPS = ("-sources.jar", "-javadoc.jar", "-tests.jar", "-test-sources.jar")


@dataclass(frozen=True)
class AppJar:
    path: Path
    main_class: str
    spring_boot: bool


def is_spring_boot(manifest: dict[str, str]) -> bool:
    return "Spring-Boot-Classes" in manifest or manifest.get("Main-Class", "").startswith("org.springframework.boot.loader")


def describe(path: Path, manifest: dict[str, str]) -> AppJar:
    return AppJar(path, manifest.get("Main-Class", ""), is_spring_boot(manifest))


def runnable_jars(directory: Path) -> tuple[list[Path], list[AppJar]]:
    """The jars in `directory` (Maven's target/) that could be the app, and those of them that can run
    (Spring Boot's repackaged jars first, else jars with a Main-Class)."""
    jars = sorted(p for p in directory.glob("*.jar")
                  if p.is_file() and not p.name.endswith(NOT_APPS) and not p.name.startswith("original-"))
    found = [describe(jar, read_jar_manifest(jar)) for jar in jars]
    boot = [j for j in found if j.spring_boot]
    return jars, boot or [j for j in found if j.main_class]


def find_app_jar(directory: Path) -> AppJar:
    """The application jar in `directory` (Maven's target/); BuildError when there is none."""
    jars, runnable = runnable_jars(directory)
    if not runnable:
        names = ", ".join(j.name for j in jars) or "no jar"
        raise BuildError(f"the build made no runnable jar in {directory.name}/ ({names}): none has a Main-Class",
                         "set <mainClass> in the maven-jar-plugin's manifest, or use spring-boot-maven-plugin")
    return runnable[0]


def target_dirs(app: Path, depth: int = 4) -> list[Path]:
    """Maven's output directories under `app`: `target/` of the root and of modules at any depth up to
    `depth` (`services/web/target`), never inside another target/, a dot directory or node_modules."""
    found: list[Path] = []
    for dirpath, dirnames, _ in os.walk(app):
        here = Path(dirpath)
        if len(here.relative_to(app).parts) >= depth:
            dirnames[:] = []
            continue
        if "target" in dirnames:
            found.append(here / "target")
        dirnames[:] = sorted(d for d in dirnames if d not in ("target", "node_modules", "src") and not d.startswith("."))
    return sorted(found, key=lambda p: (len(p.relative_to(app).parts), p))


def clear_targets(app: Path) -> list[str]:
    """Remove every target/ of the source (root and modules, see `target_dirs`) before Maven runs; their paths
    relative to `app` (`target/`, `web/target/`).

    target/ is Maven's output, never an input: a jar left there by an earlier
    local `mvn package` at another version (shop-1.0.0.jar beside the new
    shop-2.0.0.jar) would be a candidate too, and could ship instead of the jar
    just built. Heroku's Java buildpack runs `mvn clean …` for the same reason."""
    targets = target_dirs(app)
    for target in targets:
        shutil.rmtree(target)
    return [f"{target.relative_to(app).as_posix()}/" for target in targets]


def choose_app_jar(app: Path, pattern: str = "") -> AppJar:
    """The application jar a Maven build made under `app`.

    `pattern` is BP_MAVEN_BUILT_ARTIFACT (Paketo's variable, a glob relative to the
    app: `web/target/*.jar`), which must match one runnable jar. Else the root's
    target/ when it has a runnable jar (a single-module build), else the one module
    that built one; several such modules are an error naming them, never a guess.
    """
    if pattern:
        matches = [describe(p, read_jar_manifest(p)) for p in sorted(app.glob(pattern)) if p.is_file()]
        runnable = [j for j in matches if j.spring_boot or j.main_class]
        if len(runnable) != 1:
            what = ", ".join(str(j.path.relative_to(app)) for j in matches) or "nothing"
            raise BuildError(f"BP_MAVEN_BUILT_ARTIFACT '{pattern}' must match one runnable jar; it matches {what}",
                             "give the path of the application jar, e.g. web/target/*.jar")
        return runnable[0]
    targets = target_dirs(app)
    if not targets:
        raise BuildError("Maven made no target/ directory: there is no jar to run",
                         "check that the pom's packaging is jar and that BP_MAVEN_BUILD_ARGUMENTS runs 'package'")
    root = app / "target"
    if root in targets:
        _, runnable = runnable_jars(root)
        if runnable:
            return runnable[0]
    per_module = {t: runnable_jars(t)[1] for t in targets if t != root}
    apps = {t: r for t, r in per_module.items() if r}
    if len(apps) == 1:
        return next(iter(apps.values()))[0]
    if apps:
        names = ", ".join(str(r[0].path.relative_to(app)) for r in apps.values())
        raise BuildError(f"several modules built a runnable jar ({names}): dockless will not guess which is the app",
                         "set --env BP_MAVEN_BUILT_ARTIFACT=<module>/target/*.jar (as Paketo's Maven buildpack reads it)")
    return find_app_jar(targets[0])  # none runnable: the error names what the build made


def unpack(jar: Path, dest: Path) -> None:
    """Extract `jar` into `dest` (see the module docstring for what is normalised)."""
    try:
        with zipfile.ZipFile(jar) as archive:
            for info in archive.infolist():
                name = PurePosixPath(info.filename)
                if name.is_absolute() or ".." in name.parts or not name.parts:
                    raise BuildError(f"{jar.name} holds an unsafe path: {info.filename}",
                                     "the jar was not made by a normal build tool; rebuild it")
                target = dest.joinpath(*name.parts)
                if info.is_dir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                if stat.S_ISLNK(info.external_attr >> 16):
                    continue  # a symlink in a jar is not something the JVM reads
                target.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(info) as src, open(target, "wb") as out:
                    while chunk := src.read(1 << 20):
                        out.write(chunk)
                os.chmod(target, 0o644)
    except zipfile.BadZipFile as exc:
        raise BuildError(f"{jar.name} is not a valid jar: {exc}", "rebuild the jar") from None
    for directory, _, _ in os.walk(dest):
        os.chmod(directory, 0o755)


def jar_components(app: Path, repository: Path | None = None, layer: str = "app") -> list[Component]:
    """Every jar under BOOT-INF/lib, WEB-INF/lib and lib/ of the unpacked app, as a pkg:maven purl where its
    coordinates are known, else pkg:generic by file name.

    Coordinates come from the jar's META-INF/maven/<group>/<artifact>/pom.properties (Maven-built jars),
    else from where Maven's local `repository` keeps a file of that name (<group path>/<artifact>/<version>/):
    jars built with Gradle, such as Spring's own, carry no pom.properties."""
    known = _repository_index(repository) if repository is not None else {}
    found: set[Component] = set()
    for lib in ("BOOT-INF/lib", "WEB-INF/lib", "lib"):
        for jar in sorted((app / lib).glob("*.jar")):
            if not jar.is_symlink():  # a jar moved to the dependencies layer is listed from there
                found.add(_component(jar, layer, known))
    return sorted(found)


def _repository_index(repository: Path) -> dict[str, tuple[str, str, str]]:
    """jar file name -> (group, artifact, version) for every artifact in a Maven local repository."""
    index: dict[str, tuple[str, str, str]] = {}
    for jar in sorted(repository.rglob("*.jar")):
        parts = jar.relative_to(repository).parts
        if len(parts) >= 4 and jar.name.startswith(f"{parts[-3]}-{parts[-2]}"):
            index.setdefault(jar.name, (".".join(parts[:-3]), parts[-3], parts[-2]))
    return index


def _properties(text: str) -> dict[str, str]:
    """`key=value` lines of a Java properties file (comments skipped; no escapes, as Maven writes none)."""
    pairs = (line.partition("=") for line in text.splitlines() if not line.lstrip().startswith(("#", "!")))
    return {key.strip(): value.strip() for key, sep, value in pairs if sep}


def _component(jar: Path, layer: str, known: dict[str, tuple[str, str, str]]) -> Component:
    try:
        with zipfile.ZipFile(jar) as archive:
            props = [n for n in archive.namelist()
                     if n.startswith("META-INF/maven/") and n.endswith("/pom.properties")]
            if len(props) == 1:
                fields = _properties(archive.read(props[0]).decode("utf-8", errors="replace"))
                group, artifact, version = (fields.get(k, "") for k in ("groupId", "artifactId", "version"))
                if group and artifact and version:
                    return Component(f"{group}:{artifact}", version,
                                     f"pkg:maven/{quote(group)}/{quote(artifact)}@{quote(version)}", layer)
    except (OSError, zipfile.BadZipFile):
        pass
    if jar.name in known:
        group, artifact, version = known[jar.name]
        return Component(f"{group}:{artifact}", version, f"pkg:maven/{quote(group)}/{quote(artifact)}@{quote(version)}",
                         layer)
    stem = jar.name.removesuffix(".jar")
    name, _, version = stem.rpartition("-") if any(c.isdigit() for c in stem.rpartition("-")[2]) else (stem, "", "")
    return Component(name or stem, version, f"pkg:generic/{quote(name or stem)}" + (f"@{quote(version)}" if version else ""),
                     layer)
