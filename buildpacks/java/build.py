"""The Java buildpack: JDK at build, Maven, the app jar unpacked into the app layer, JRE at launch.

Build steps run through `ctx.executor` with the workspace at /workspace and
these mounts (host directories from the layer cache or the build's scratch):

    /layers/java/m2        Maven's local repository and the wrapper's Mavens   writable, cached by the poms
    /layers/java/home      HOME for this build                                 writable
    /layers/java/settings  a settings.xml made from BP_MAVEN_MIRROR_URL        read-only
                           (credentials only as ${env.…} references; the build's scratch, not an image layer)

The source's target/ directories are removed before Maven runs (a stale jar is
never shipped); Maven's failure output is scrubbed of the mirror's credentials.

The JDK (and Debian's maven, when there is no mvnw) are build packages, in the
build root from the first Maven command on; the JRE is a launch package, a
layer of its own on the run image, so the image holds no compiler (Heroku and
Paketo ship a JRE the same way).

After the build the workspace holds only the application: the jar Maven made
(or the prebuilt one) unpacked at /workspace, sources, target/ and settings.xml
removed, as Paketo's Maven buildpack does. The release dependency jars (and
Spring Boot's loader) move to a cached launch layer, /layers/java/dependencies,
keyed by their sha256s and symlinked from the app (see dependencies.py). A small
launch layer holds Debian's CAs as the JRE's truststore (see truststore.py).
Only the app layer depends on the code, so a code-only change uploads it alone.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from builder.buildpack.layers import cached_layer
from builder.buildpack.procfile import read_procfile
from builder.errors import BuildError
from builder.image.media import Platform
from builder.lifecycle.contract import WORKSPACE, BuildContext, BuildResult, BuiltLayer, Component, Mount
from builder.lifecycle.env import prepend_path
from builder.source import redact_text
from detectors.java import parse_manifest, read_jar_manifest

from . import dependencies, jar, maven, truststore
from .jdk import Jdk, debian_arch, resolve
from .processes import check_jars, processes, run_built_jar

BUILDPACK = "java"
CACERTS = f"{maven.HOME}/cacerts/cacerts"
TRUST_FLAGS = f"-Djavax.net.ssl.trustStore={CACERTS} -Djavax.net.ssl.trustStoreType=JKS"  # see truststore.py
MEMORY_FLAGS = "-XX:MaxRAMPercentage=75"   # Paketo's memory calculator and Heroku both size the heap to the container


def host_arch() -> str:
    return Platform.host().architecture


@dataclass(frozen=True)
class JavaBuildpack:
    """Builds a Maven app (or takes a prebuilt jar) and launches it on a Debian JRE as PID 1."""

    id: str = BUILDPACK
    arch: str = field(default_factory=host_arch)

    def build(self, ctx: BuildContext) -> BuildResult:
        meta = ctx.plan.metadata("jdk")
        tool = meta.get("build_tool", "")
        if tool == "gradle":
            raise BuildError("Gradle builds are not supported yet: dockless builds Java apps with Maven "
                             "(pom.xml, mvnw) or from a prebuilt jar",
                             "add a pom.xml, or build the jar yourself and commit it with a Main-Class")
        if ctx.packages is None:
            raise BuildError("the Java buildpack needs the stack's Debian packages (a JDK and a JRE), "
                             "and this build has none", "build on the built-in stack")
        jdk = resolve(meta.get("java_version", ""), meta.get("java_version_source", "default"),
                      exact=meta.get("java_version_exact") == "true", arch=debian_arch(self.arch),
                      packages=ctx.packages)
        at_build = f"{jdk.jdk_package} at build, " if tool in ("maven", "mvnw") else ""
        ctx.log(f"Java {jdk.major} ({meta.get('java_version_source', 'default')}) from Debian {ctx.packages.suite}: "
                f"{at_build}{jdk.jre_package} at launch")
        ctx.packages.add([jdk.jre_package], build=False, launch=True)
        app = ctx.workspace / ctx.app_dir
        repository: Path | None = None
        built_jar = ""  # the jar this build made or took, relative to the app (a Procfile's `-jar` may name it)
        scratch = ctx.layers_dir / BUILDPACK / "app"
        if tool in ("maven", "mvnw"):
            ctx.packages.add([jdk.jdk_package] + ([] if tool == "mvnw" else ["maven"]), build=True, launch=False)
            cleared = jar.clear_targets(app)
            if cleared:
                ctx.log(f"removed {', '.join(cleared)} from the source: Maven's output is rebuilt, "
                        "never taken from the source (as 'mvn clean' would)")
            built, repository = self._maven(ctx, app, jdk, tool)
            built_jar = built.path.relative_to(app).as_posix()
            ctx.log(f"application jar: {built.path.relative_to(app)}"
                    + (" (Spring Boot)" if built.spring_boot else f" (Main-Class {built.main_class})"))
            jar.unpack(built.path, scratch)
            _copy_libs(built.path.parent, scratch)
            main_class, boot = built.main_class, built.spring_boot
        elif tool == "jar":
            found = jar.describe(app / meta["jar"], read_jar_manifest(app / meta["jar"]))
            built_jar = meta["jar"]
            jar.unpack(found.path, scratch)
            _copy_libs(app, scratch)  # the jar's Class-Path dependencies, committed in lib/ beside it
            main_class, boot = found.main_class, found.spring_boot
        else:  # exploded: the workspace already is the unpacked jar
            manifest = parse_manifest((app / "META-INF/MANIFEST.MF").read_bytes())
            main_class, boot = manifest.get("Main-Class", ""), jar.is_spring_boot(manifest)
        root = f"{WORKSPACE}/{ctx.app_dir}".rstrip("/")  # --subdir: the app is a member of a larger repository
        procfile = run_built_jar(read_procfile(app), built_jar, main_class=main_class, spring_boot=boot, root=root)
        if tool != "exploded":
            _replace_contents(app, scratch)
        libs = self._dependencies(ctx, app)
        launch = processes(procfile, java=jdk.java, main_class=main_class, spring_boot=boot, root=root)
        if not launch:
            raise BuildError("the app has no Main-Class and no Procfile web: dockless does not know how to start it",
                             "set Main-Class in the jar's manifest, or add a Procfile with 'web: java …'")
        check_jars(launch, app, root, built_jar)
        components = [Component("openjdk-jre", str(jdk.major), f"pkg:deb/debian/{jdk.jre_package}", "packages",
                                 "application"), *jar.jar_components(app, repository)]
        if libs is not None:
            components += jar.jar_components(libs.path / dependencies.MIRROR, repository, layer=dependencies.LAYER)
        launch_env = {"JAVA_HOME": jdk.home, "JAVA_TOOL_OPTIONS.default": MEMORY_FLAGS, "PORT.default": "8080",
                      "JDK_JAVA_OPTIONS.default": TRUST_FLAGS, **prepend_path("PATH", f"{jdk.home}/bin")}
        layers = [BuiltLayer("cacerts", self._truststore(ctx), CACERTS.rsplit("/", 1)[0], launch=True),
                  *([libs] if libs is not None else [])]
        return BuildResult(layers=layers, processes=launch, launch_env=launch_env, components=components,
                           app_excludes=_siblings(ctx.workspace, ctx.app_dir))

    def _dependencies(self, ctx: BuildContext, app: Path) -> BuiltLayer | None:
        """The app's release jars (and Boot's loader) moved to a cached launch layer, symlinked from the app
        (see dependencies.py); None when it has none."""
        paths = dependencies.select(app)
        if not paths:
            return None
        meta = dependencies.key(app, paths)
        megabytes = dependencies.size(app, paths) / 1e6
        layer, reused = cached_layer(ctx.cache, BUILDPACK, dependencies.LAYER, meta,
                                     fill=lambda fresh: dependencies.copy(app, paths, fresh))
        dependencies.link(app, paths)
        jars = sum(p.endswith(".jar") for p in paths)
        ctx.log(f"dependencies: {jars} jars{' and the Spring Boot loader' if dependencies.LOADER in paths else ''} "
                f"({megabytes:.1f} MB) in a layer of their own, "
                + ("reused (the same jars)" if reused else "new (the jars changed)"))
        return BuiltLayer(dependencies.LAYER, layer, dependencies.TARGET, launch=True, cache=True, metadata=meta)

    def _truststore(self, ctx: BuildContext) -> Path:
        """A layer holding Debian's CAs as the JRE's truststore (see truststore.py)."""
        listing = ctx.executor.run(["sh", "-c", truststore.READ_CERTS], what="reading Debian's CA certificates")
        certificates = truststore.parse_listing(listing.stdout)
        if not certificates:
            raise BuildError("the build root has no CA certificates under /usr/share/ca-certificates",
                             "this is a bug in the stack: ca-certificates should be in the build root")
        layer = ctx.layers_dir / BUILDPACK / "cacerts"
        layer.mkdir(parents=True, exist_ok=True)
        (layer / "cacerts").write_bytes(truststore.jks(certificates))
        (layer / "cacerts").chmod(0o644)
        return layer

    def _maven(self, ctx: BuildContext, app: Path, jdk: Jdk, tool: str) -> tuple[jar.AppJar, Path]:
        """Run Maven (the JDK and Maven are build packages by now) with the local repository in its cache layer;
        the application jar it made, and the local repository (host path)."""
        if tool == "mvnw":
            maven.repair_wrapper(app)
        argv = maven.command(app, ctx.env, tool)
        env = maven.maven_env(ctx.env, jdk)
        home = ctx.layers_dir / BUILDPACK / "home"
        home.mkdir(parents=True, exist_ok=True)
        settings = ctx.layers_dir / BUILDPACK / "settings"
        settings.mkdir(parents=True, exist_ok=True)
        mirror = maven.mirror(ctx.env.get("BP_MAVEN_MIRROR_URL", ""))
        if mirror.url:
            (settings / "settings.xml").write_text(maven.mirror_settings(mirror))  # ${env.…}, never the secret
        cwd = f"/workspace/{ctx.app_dir}".rstrip("/")
        what = " ".join(["./mvnw" if tool == "mvnw" else "mvn",  # "mvn -B -DskipTests package"
                         *(a for a in argv[1:-1] if not a.startswith("-Dmaven.compiler."))])

        def run(m2: Path) -> None:
            mounts = [Mount(m2, maven.M2, writable=True), Mount(home, maven.BUILD_HOME, writable=True),
                      Mount(settings, f"{maven.HOME}/settings", writable=False)]
            ctx.log(f"running {' '.join(argv)}")
            try:
                ctx.executor.run(argv, what=what, cwd=cwd, env=env, mounts=mounts)
            except BuildError as exc:  # Maven's last lines: a URL it printed must not carry the mirror's secret
                raise BuildError(redact_text(exc.message, mirror.secrets),
                                 redact_text(exc.hint, mirror.secrets)) from None

        key = {"poms": maven.poms_digest(app), "jdk": str(jdk.major), "tool": tool}
        m2, reused = cached_layer(ctx.cache, BUILDPACK, "m2", key, fill=run)
        if reused:
            ctx.log("Maven local repository: reused (the poms did not change)")
            run(m2)
        return jar.choose_app_jar(app, ctx.env.get("BP_MAVEN_BUILT_ARTIFACT", "").strip()), m2 / "repository"


def _copy_libs(target: Path, scratch: Path) -> None:
    """A plain jar's dependencies copied next to it by maven-dependency-plugin (target/lib) go to /workspace/lib."""
    if (target / "lib").is_dir() and not (scratch / "lib").exists():
        shutil.copytree(target / "lib", scratch / "lib")
        for directory, _, files in os.walk(scratch / "lib"):
            os.chmod(directory, 0o755)
            for name in files:
                os.chmod(os.path.join(directory, name), 0o644)


def _siblings(workspace: Path, app_dir: str) -> frozenset[str]:
    """With --subdir, every workspace path beside the app's own directory and its parents: kept out of the image."""
    excluded: set[str] = set()
    parent = PurePosixPath()
    for part in PurePosixPath(app_dir).parts if app_dir else ():
        excluded |= {str(parent / e.name) for e in (workspace / parent).iterdir() if e.name != part}
        parent /= part
    return frozenset(excluded)


def _replace_contents(app: Path, scratch: Path) -> None:
    """Empty `app` (all but .git) and move the unpacked jar into it."""
    for entry in app.iterdir():
        if entry.name == ".git":
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    for entry in sorted(scratch.iterdir()):
        shutil.move(str(entry), app / entry.name)
