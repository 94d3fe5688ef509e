"""The Java buildpack's parts on real input: version resolution, jar finding and unpacking, processes, Maven argv."""

from __future__ import annotations

import hashlib
import os
import subprocess
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from builder.buildpack.launch import SHELL
from builder.errors import BuildError
from builder.lifecycle.packages import PackageRequests
from buildpacks.java import dependencies, jar, maven, truststore
from buildpacks.java.build import _siblings
from buildpacks.java.jdk import Jdk, parse_major, resolve
from buildpacks.java.processes import check_jars, processes, run_built_jar

BOOT = "Manifest-Version: 1.0\nMain-Class: org.springframework.boot.loader.launch.JarLauncher\n" \
       "Start-Class: example.Application\nSpring-Boot-Classes: BOOT-INF/classes/\n\n"


def make_jar(path: Path, manifest: str, entries: dict[str, bytes] | None = None, *, date: tuple[int, ...] = (2020, 1, 1, 0, 0, 0)) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in {"META-INF/MANIFEST.MF": manifest.encode(), **(entries or {})}.items():
            info = zipfile.ZipInfo(name, date_time=date)  # type: ignore[arg-type]
            info.external_attr = 0o600 << 16
            archive.writestr(info, data)
    return path


@pytest.mark.parametrize(("text", "major"), [("17", 17), ("1.8", 8), ("21.0.2", 21), ("25+36", 25), ("11.0", 11)])
def test_java_versions_are_read_as_majors(text: str, major: int) -> None:
    assert parse_major(text, "x") == major


def test_a_minimum_gets_the_oldest_offered_major_and_an_exact_request_must_be_offered() -> None:
    assert resolve("17", "pom.xml maven.compiler.release", exact=False, arch="amd64") == Jdk(21, "amd64")
    assert resolve("1.8", "pom.xml java.version", exact=False, arch="amd64").major == 21
    assert resolve("", "default", exact=False, arch="arm64") == Jdk(25, "arm64")
    assert resolve("25", "BP_JVM_VERSION", exact=True, arch="amd64").home == "/usr/lib/jvm/java-25-openjdk-amd64"
    with pytest.raises(BuildError, match=r"^Java 17 \(from BP_JVM_VERSION\) is not offered by Debian trixie: "
                                         r"it offers Java 21, 25$"):
        resolve("17", "BP_JVM_VERSION", exact=True, arch="amd64")
    with pytest.raises(BuildError, match="Java 99 or newer"):
        resolve("99", "pom.xml maven.compiler.release", exact=False, arch="amd64")
    with pytest.raises(BuildError, match="'latest' from BP_JVM_VERSION is not a Java version"):
        resolve("latest", "BP_JVM_VERSION", exact=True, arch="amd64")


def test_the_spring_boot_jar_is_the_app_and_sources_javadoc_and_original_are_not(tmp_path: Path) -> None:
    make_jar(tmp_path / "app-1.0-sources.jar", "Main-Class: x.Y\n\n")
    make_jar(tmp_path / "a-plain.jar", "Main-Class: example.Plain\n\n")
    make_jar(tmp_path / "app-1.0.jar", BOOT)
    (tmp_path / "app-1.0.jar.original").write_bytes(b"")
    found = jar.find_app_jar(tmp_path)
    assert (found.path.name, found.spring_boot, found.main_class) == \
        ("app-1.0.jar", True, "org.springframework.boot.loader.launch.JarLauncher")


def test_no_runnable_jar_is_one_line(tmp_path: Path) -> None:
    make_jar(tmp_path / "lib-1.0.jar", "Manifest-Version: 1.0\n\n")
    with pytest.raises(BuildError, match=r"no runnable jar in .*lib-1.0.jar.*none has a Main-Class"):
        jar.find_app_jar(tmp_path)


def test_unpacking_normalises_modes_and_refuses_unsafe_paths(tmp_path: Path) -> None:
    entries = {"BOOT-INF/classes/example/A.class": b"a", "BOOT-INF/lib/dep.jar": b"d"}
    first, second = tmp_path / "1", tmp_path / "2"
    jar.unpack(make_jar(tmp_path / "a.jar", BOOT, entries, date=(2020, 1, 1, 0, 0, 0)), first)
    jar.unpack(make_jar(tmp_path / "b.jar", BOOT, entries, date=(2024, 6, 1, 12, 0, 0)), second)
    assert tree(first) == tree(second)
    assert {mode for _, mode, _ in tree(first)} == {0o644, 0o755}
    with pytest.raises(BuildError, match="unsafe path: ../evil"):
        jar.unpack(make_jar(tmp_path / "bad.jar", BOOT, {"../evil": b"x"}), tmp_path / "3")
    assert not (tmp_path / "evil").exists()


def tree(root: Path) -> list[tuple[str, int, str]]:
    out = []
    for directory, dirs, files in os.walk(root):
        dirs.sort()
        for name in [*dirs, *sorted(files)]:
            path = Path(directory) / name
            digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""
            out.append((str(path.relative_to(root)), path.stat().st_mode & 0o777, digest))
    return out


def test_jars_in_the_app_become_maven_purls(tmp_path: Path) -> None:
    lib = tmp_path / "BOOT-INF/lib"
    lib.mkdir(parents=True)
    make_jar(lib / "spring-core-6.2.12.jar", "Manifest-Version: 1.0\n\n", {
        "META-INF/maven/org.springframework/spring-core/pom.properties":
            b"#Created by Maven\nartifactId=spring-core\ngroupId=org.springframework\nversion=6.2.12\n"})
    make_jar(lib / "bare-1.2.jar", "Manifest-Version: 1.0\n\n")
    make_jar(lib / "spring-web-6.2.12.jar", "Manifest-Version: 1.0\n\n")  # built by Gradle: no pom.properties
    purls = [c.purl for c in jar.jar_components(tmp_path)]
    assert purls == ["pkg:generic/bare@1.2", "pkg:maven/org.springframework/spring-core@6.2.12",
                     "pkg:generic/spring-web@6.2.12"]
    repository = tmp_path / "m2/repository"
    (repository / "org/springframework/spring-web/6.2.12").mkdir(parents=True)
    (repository / "org/springframework/spring-web/6.2.12/spring-web-6.2.12.jar").write_bytes(b"")
    purls = [c.purl for c in jar.jar_components(tmp_path, repository)]
    assert "pkg:maven/org.springframework/spring-web@6.2.12" in purls  # its place in Maven's local repository


def test_spring_boot_gets_port_through_server_port_with_java_as_pid_1() -> None:
    java = Jdk(21, "amd64").java
    [web] = processes({}, java=java, main_class="org.springframework.boot.loader.launch.JarLauncher", spring_boot=True)
    assert web.default and web.command[:2] == (SHELL, "-c")
    assert web.command[2] == ('SERVER_PORT="${PORT:-${SERVER_PORT:-8080}}" exec /usr/lib/jvm/java-21-openjdk-amd64/'
                              'bin/java -cp /workspace org.springframework.boot.loader.launch.JarLauncher "$@"')
    [plain] = processes({}, java=java, main_class="example.Main", spring_boot=False)
    assert plain.command == (java, "-cp", "/workspace:/workspace/lib/*", "example.Main")
    [web, worker] = processes({"web": "java -Xss1m -cp /workspace example.Web", "worker": "java example.W"},
                              java=java, main_class="example.Main", spring_boot=False)
    assert web.command[0] == java and web.default and worker.command == (java, "example.W")


def test_maven_command_defaults_settings_and_override(tmp_path: Path) -> None:
    assert maven.command(tmp_path, {}, "maven") == [
        maven.DEBIAN_MVN, "-B", "-DskipTests", "package", "-Dmaven.repo.local=/layers/java/m2/repository"]
    (tmp_path / "settings.xml").write_text("<settings/>")
    argv = maven.command(tmp_path, {"BP_MAVEN_BUILD_ARGUMENTS": "-q clean verify"}, "mvnw")
    assert argv == ["./mvnw", "--settings", "/workspace/settings.xml", "-q", "clean", "verify",
                    "-Dmaven.repo.local=/layers/java/m2/repository"]
    (tmp_path / "settings.xml").unlink()
    argv = maven.command(tmp_path, {"BP_MAVEN_MIRROR_URL": "https://mirror.example/maven2"}, "maven")
    assert argv[1:3] == ["--settings", maven.MIRROR_SETTINGS]
    plain = maven.mirror_settings(maven.mirror("https://mirror.example/maven2"))
    assert "<url>https://mirror.example/maven2</url>" in plain and "<servers>" not in plain
    with pytest.raises(BuildError, match="BP_MAVEN_SETTINGS_PATH names nope.xml"):
        maven.command(tmp_path, {"BP_MAVEN_SETTINGS_PATH": "nope.xml"}, "maven")


def test_a_build_env_java_tool_options_joins_maven_opts_and_never_replaces_the_truststore() -> None:
    env = maven.maven_env({"JAVA_TOOL_OPTIONS": "-Xmx1g", "MAVEN_OPTS": "-Dx=1"}, Jdk(21, "amd64"))
    assert "JAVA_TOOL_OPTIONS" not in env and env["MAVEN_OPTS"] == "-Dx=1 -Xmx1g"
    assert env["JAVA_HOME"] == "/usr/lib/jvm/java-21-openjdk-amd64" and env["PATH"] == env["JAVA_HOME"] + "/bin"


def test_the_wrapper_gets_its_exec_bit_and_lf_line_ends_back(tmp_path: Path) -> None:
    (tmp_path / "mvnw").write_bytes(b"#!/bin/sh\r\necho hi\r\n")
    (tmp_path / "mvnw").chmod(0o644)
    maven.repair_wrapper(tmp_path)
    assert (tmp_path / "mvnw").read_bytes() == b"#!/bin/sh\necho hi\n" and os.access(tmp_path / "mvnw", os.X_OK)


def test_the_m2_key_follows_every_pom_and_nothing_else(tmp_path: Path) -> None:
    (tmp_path / "pom.xml").write_text("<project/>")
    (tmp_path / "core").mkdir()
    (tmp_path / "core/pom.xml").write_text("<project/>")
    before = maven.poms_digest(tmp_path)
    (tmp_path / "Main.java").write_text("class Main {}")
    (tmp_path / "target").mkdir()
    (tmp_path / "target/pom.xml").write_text("junk")
    assert maven.poms_digest(tmp_path) == before
    (tmp_path / "core/pom.xml").write_text("<project><x/></project>")
    assert maven.poms_digest(tmp_path) != before


def test_the_truststore_is_a_jks_keytool_reads_and_the_same_certificates_give_the_same_bytes(tmp_path: Path) -> None:
    listing = subprocess.run(["sh", "-c", truststore.READ_CERTS], capture_output=True, text=True, check=True).stdout
    certificates = truststore.parse_listing(listing)
    assert len(certificates) > 100 and certificates == sorted(certificates)
    data = truststore.jks(certificates)
    assert data == truststore.jks(list(certificates))
    (tmp_path / "cacerts").write_bytes(data)
    listed = subprocess.run(["keytool", "-list", "-keystore", str(tmp_path / "cacerts"), "-storetype", "JKS",
                             "-storepass", truststore.PASSWORD], capture_output=True, text=True, check=True).stdout
    assert f"Your keystore contains {len(certificates)} entries" in listed  # the keyed digest checked out
    assert f"{certificates[0][0]}, Jan 1, 1970, trustedCertEntry" in listed


def test_with_subdir_the_app_starts_in_its_member_and_its_siblings_stay_out(tmp_path: Path) -> None:
    java = Jdk(21, "amd64").java
    [web] = processes({}, java=java, main_class="example.Main", spring_boot=False, root="/workspace/services/api")
    assert web.command[2] == "/workspace/services/api:/workspace/services/api/lib/*"
    assert web.working_dir == "/workspace/services/api"
    for rel in ("services/api/pom.xml", "services/web/pom.xml", "README.md", "pom.xml"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x")
    assert _siblings(tmp_path, "services/api") == {"README.md", "pom.xml", "services/web"}
    assert _siblings(tmp_path, "") == frozenset()


def test_an_exact_major_only_another_suite_has_moves_the_build_there() -> None:
    offers = {"openjdk-17-jdk-headless": {"bookworm": "17.0.16+8-1~deb12u1"}}
    packages = PackageRequests("trixie", ("trixie", "bookworm", "forky"),
                               lambda name, suites: {s: v for s, v in offers.get(name, {}).items() if s in suites})
    assert resolve("17", "BP_JVM_VERSION", exact=True, arch="amd64", packages=packages) == Jdk(17, "amd64")
    assert packages.suite == "bookworm"
    with pytest.raises(BuildError, match=r"Java 11 \(from BP_JVM_VERSION\) is offered by no Debian suite of the stack"):
        resolve("11", "BP_JVM_VERSION", exact=True, arch="amd64",
                packages=PackageRequests("trixie", ("trixie", "bookworm"), lambda name, suites: {}))


def module_jar(app: Path, module: str, name: str, main: str = "example.Main") -> Path:
    (app / module / "target").mkdir(parents=True, exist_ok=True)
    return make_jar(app / module / "target" / name, f"Manifest-Version: 1.0\nMain-Class: {main}\n")


def test_the_module_that_built_the_app_jar_is_found_at_any_depth(tmp_path: Path) -> None:
    app = tmp_path / "app"
    (app / "target").mkdir(parents=True)  # the aggregator's own target/ holds no jar
    module_jar(app, "services/core", "core-1.0.jar", main="")
    module_jar(app, "services/web", "web-1.0.jar")
    assert jar.choose_app_jar(app).path == app / "services/web/target/web-1.0.jar"


def test_several_runnable_modules_are_an_error_unless_bp_maven_built_artifact_picks_one(tmp_path: Path) -> None:
    app = tmp_path / "app"
    module_jar(app, "web", "web-1.0.jar")
    module_jar(app, "tools", "tools-1.0.jar", main="example.Tool")
    with pytest.raises(BuildError, match=r"several modules built a runnable jar \(tools/target/tools-1.0.jar, "
                                         r"web/target/web-1.0.jar\)") as info:
        jar.choose_app_jar(app)
    assert "BP_MAVEN_BUILT_ARTIFACT" in info.value.hint
    assert jar.choose_app_jar(app, "web/target/*.jar").main_class == "example.Main"
    with pytest.raises(BuildError, match="must match one runnable jar; it matches nothing"):
        jar.choose_app_jar(app, "api/target/*.jar")
    with pytest.raises(BuildError, match="no target/ directory"):
        jar.choose_app_jar(tmp_path / "empty")


def test_a_pom_with_only_release_gets_source_and_target_for_old_compiler_plugins(tmp_path: Path) -> None:
    pom = '<project xmlns="http://maven.apache.org/POM/4.0.0"><properties>{}</properties></project>'
    (tmp_path / "pom.xml").write_text(pom.format("<maven.compiler.release>17</maven.compiler.release>"))
    assert maven.compiler_levels(tmp_path) == ["-Dmaven.compiler.source=17", "-Dmaven.compiler.target=17"]
    (tmp_path / "pom.xml").write_text(pom.format("<maven.compiler.release>17</maven.compiler.release>"
                                                 "<maven.compiler.source>11</maven.compiler.source>"))
    assert maven.compiler_levels(tmp_path) == []  # the pom says what it wants
    (tmp_path / "pom.xml").write_text(pom.format(""))
    assert maven.compiler_levels(tmp_path) == []


def test_a_procfile_jar_that_does_not_ship_fails_the_build(tmp_path: Path) -> None:
    (tmp_path / "app.jar").write_bytes(b"PK")
    ok = processes({"web": "java -jar app.jar"}, java="/j/bin/java", main_class="", spring_boot=False)
    check_jars(ok, tmp_path)
    gone = processes({"web": "java $JAVA_OPTS -jar target/app-1.0.jar --port $PORT"}, java="/j/bin/java",
                     main_class="", spring_boot=False)
    with pytest.raises(BuildError, match=r"process 'web' cannot start: its jar target/app-1.0.jar is not in the image"):
        check_jars(gone, tmp_path)


STACK_OFFERS = {"openjdk-17-jdk-headless": {"bookworm": "17.0.16+8-1~deb12u1"},
                "openjdk-21-jdk-headless": {"trixie": "21.0.8+9-1"}, "openjdk-25-jdk-headless": {"trixie": "25+36-1"}}


def stack_packages() -> PackageRequests:
    return PackageRequests("trixie", ("trixie", "bookworm"),
                           lambda name, suites: {s: v for s, v in STACK_OFFERS.get(name, {}).items() if s in suites})


def test_a_java_no_suite_has_names_every_major_of_every_suite_and_8_is_said_to_be_gone_from_debian() -> None:
    with pytest.raises(BuildError) as info:
        resolve("1.8", "system.properties java.runtime.version", exact=True, arch="amd64", packages=stack_packages())
    assert info.value.message == ("Java 1.8 (from system.properties java.runtime.version) is not in Debian any more, "
                                  "so the stack cannot give it: it offers Java 17 (bookworm), 21 (trixie), 25 (trixie)")
    assert info.value.hint.startswith("ask for 17 or 21, the closest the stack offers (e.g. java.runtime.version=17)")
    with pytest.raises(BuildError) as info:
        resolve("11", "BP_JVM_VERSION", exact=True, arch="amd64", packages=stack_packages())
    assert info.value.message == ("Java 11 (from BP_JVM_VERSION) is offered by no Debian suite of the stack: "
                                  "it offers Java 17 (bookworm), 21 (trixie), 25 (trixie)")
    assert "\n" not in info.value.message and info.value.exit_code == 5
    with pytest.raises(BuildError, match=r"Java 26 or newer .* it offers Java 17 \(bookworm\), 21 \(trixie\), 25"):
        resolve("26", "pom.xml maven.compiler.release", exact=False, arch="amd64", packages=stack_packages())


def test_mirror_credentials_reach_maven_only_through_the_environment_and_are_scrubbed_from_its_output() -> None:
    url = "https://mvn%40user:S3cr%2Ft@mirror.example:8443/maven2"
    found = maven.mirror(url)
    assert (found.url, found.username, found.password) == ("https://mirror.example:8443/maven2", "mvn@user", "S3cr/t")
    settings = maven.mirror_settings(found)
    assert "S3cr" not in settings and "mvn" not in settings.replace("maven", "")
    assert "<url>https://mirror.example:8443/maven2</url>" in settings
    assert ("<server>\n      <id>dockless-mirror</id>\n      <username>${env.DOCKLESS_MAVEN_MIRROR_USERNAME}</username>\n"
            "      <password>${env.DOCKLESS_MAVEN_MIRROR_PASSWORD}</password>") in settings
    assert settings.count("<id>dockless-mirror</id>") == 2   # the server's id is the mirror's: Maven pairs them
    env = maven.maven_env({"BP_MAVEN_MIRROR_URL": url, "X": "1"}, Jdk(21, "amd64"))
    assert "BP_MAVEN_MIRROR_URL" not in env and env["X"] == "1"
    assert (env["DOCKLESS_MAVEN_MIRROR_USERNAME"], env["DOCKLESS_MAVEN_MIRROR_PASSWORD"]) == ("mvn@user", "S3cr/t")
    assert "DOCKLESS_MAVEN_MIRROR_PASSWORD" not in maven.maven_env({"BP_MAVEN_MIRROR_URL": "https://m.example/"},
                                                                   Jdk(21, "amd64"))
    assert "S3cr%2Ft" in found.secrets and "S3cr/t" in found.secrets


def test_the_build_scrubs_mirror_credentials_from_a_maven_failure(tmp_path: Path) -> None:
    """A Maven that prints the URL with its user info (as Maven did before the <server>): the error shows neither."""
    from buildpacks.java.build import JavaBuildpack

    class Failing:
        def run(self, argv: object, *, what: str, **_: object) -> object:
            raise BuildError(f"{what} failed (exit 1)", "the last lines of its output:\n[INFO] Downloading from "
                             "dockless-mirror: https://mvnuser:MvnS3cret@repo.example/maven2/x.pom")

    @dataclass
    class Ctx:
        layers_dir: Path
        app_dir: str = ""
        env: dict[str, str] = field(default_factory=lambda: {"BP_MAVEN_MIRROR_URL":
                                                             "https://mvnuser:MvnS3cret@repo.example/maven2"})
        executor: Failing = field(default_factory=Failing)
        cache: object = None

        def log(self, text: str) -> None:
            pass

    app = tmp_path / "app"
    app.mkdir()
    (app / "pom.xml").write_text('<project xmlns="http://maven.apache.org/POM/4.0.0"/>')
    ctx = Ctx(tmp_path / "layers")

    def cached(cache: object, bp: str, name: str, key: object, fill: Callable[[Path], None]) -> tuple[Path, bool]:
        fill(tmp_path / "m2")
        return tmp_path / "m2", False

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("buildpacks.java.build.cached_layer", cached)
        with pytest.raises(BuildError) as info:
            JavaBuildpack()._maven(ctx, app, Jdk(21, "amd64"), "maven")  # type: ignore[arg-type]
    assert "MvnS3cret" not in info.value.message + info.value.hint
    assert "https://***@repo.example/maven2/x.pom" in info.value.hint or \
        "https://mvnuser:***@repo.example/maven2/x.pom" in info.value.hint
    written = (tmp_path / "layers/java/settings/settings.xml").read_text()
    assert "MvnS3cret" not in written and "<url>https://repo.example/maven2</url>" in written


def test_a_stale_jar_in_the_source_target_is_removed_before_maven_runs(tmp_path: Path) -> None:
    app = tmp_path / "app"
    module_jar(app, "", "shop-1.0.0.jar")
    module_jar(app, "web", "web-0.9.jar")
    (app / "src/main/java").mkdir(parents=True)
    assert jar.clear_targets(app) == ["target/", "web/target/"]
    assert not (app / "target").exists() and not (app / "web/target").exists() and (app / "src/main/java").is_dir()
    assert jar.clear_targets(app) == []


def test_a_heroku_procfile_java_jar_line_runs_the_jar_the_build_made(tmp_path: Path) -> None:
    java = Jdk(21, "amd64").java
    lines = {"web": "java $JAVA_OPTS -Dserver.port=$PORT -jar target/shop-2.0.0.jar --verbose",
             "worker": "java -jar ./target/*.jar worker", "old": "java -jar target/shop-1.0.0.jar"}
    mapped = run_built_jar(lines, "target/shop-2.0.0.jar", main_class="demo.Main", spring_boot=False)
    assert mapped["web"] == "java $JAVA_OPTS -Dserver.port=$PORT -cp '/workspace:/workspace/lib/*' demo.Main --verbose"
    assert mapped["worker"] == "java -cp '/workspace:/workspace/lib/*' demo.Main worker"
    assert mapped["old"] == lines["old"]
    [web, *_] = processes({"web": mapped["web"]}, java=java, main_class="demo.Main", spring_boot=False)
    assert web.command[:2] == (SHELL, "-c") and web.command[2].startswith("exec java $JAVA_OPTS")  # PATH has the JRE
    check_jars([web], tmp_path, built="target/shop-2.0.0.jar")
    boot = run_built_jar({"web": "java -jar /app/target/app.jar"}, "target/app.jar",
                         main_class="org.springframework.boot.loader.launch.JarLauncher", spring_boot=True)
    assert boot["web"] == "java -cp /workspace org.springframework.boot.loader.launch.JarLauncher"
    assert run_built_jar({"web": "java -jar server.jar"}, "server.jar", main_class="example.Main", spring_boot=False,
                         root="/workspace/svc")["web"] == "java -cp '/workspace/svc:/workspace/svc/lib/*' example.Main"
    stale = processes({"web": mapped["old"]}, java=java, main_class="demo.Main", spring_boot=False)
    with pytest.raises(BuildError) as info:
        check_jars(stale, tmp_path, built="target/shop-2.0.0.jar")
    assert info.value.message == ("process 'web' cannot start: its jar target/shop-1.0.0.jar is not the jar this build "
                                  "made (target/shop-2.0.0.jar), and only that one ships (unpacked)")
    assert "java -jar target/shop-2.0.0.jar" in info.value.hint


LAYERS_IDX = """- "dependencies":
  - "BOOT-INF/lib/spring-core-6.2.12.jar"
  - "BOOT-INF/lib/jackson-core-2.19.2.jar"
- "spring-boot-loader":
  - "org/"
- "snapshot-dependencies":
  - "BOOT-INF/lib/internal-1.0-SNAPSHOT.jar"
- "application":
  - "BOOT-INF/classes/"
  - "BOOT-INF/classpath.idx"
  - "BOOT-INF/layers.idx"
  - "META-INF/"
"""


def unpacked_boot_app(app: Path, idx: str | None = LAYERS_IDX, message: bytes = b"hello") -> Path:
    """A Spring Boot jar as the buildpack leaves it unpacked: classes, BOOT-INF/lib, the loader at the root."""
    files = {"BOOT-INF/classes/example/Application.class": message, "META-INF/MANIFEST.MF": BOOT.encode(),
             "BOOT-INF/lib/spring-core-6.2.12.jar": b"core", "BOOT-INF/lib/jackson-core-2.19.2.jar": b"jackson",
             "BOOT-INF/lib/internal-1.0-SNAPSHOT.jar": b"snapshot", "BOOT-INF/lib/module-1.0.jar": b"module",
             "org/springframework/boot/loader/launch/JarLauncher.class": b"launcher"}
    if idx is not None:
        files["BOOT-INF/layers.idx"] = idx.encode()
    for rel, data in files.items():
        (app / rel).parent.mkdir(parents=True, exist_ok=True)
        (app / rel).write_bytes(data)
    return app


def test_layers_idx_says_which_boot_jars_and_the_loader_go_to_the_dependencies_layer(tmp_path: Path) -> None:
    index = dependencies.parse_layers_idx(LAYERS_IDX)
    assert dependencies.layer_of("org/springframework/boot/loader/launch/JarLauncher.class", index) == \
        "spring-boot-loader"
    assert dependencies.layer_of("BOOT-INF/classes/example/A.class", index) == "application"
    app = unpacked_boot_app(tmp_path / "idx")
    # snapshot-dependencies stay, and so does a jar layers.idx does not name (as a module Boot puts in application)
    assert dependencies.select(app) == ["BOOT-INF/lib/jackson-core-2.19.2.jar", "BOOT-INF/lib/spring-core-6.2.12.jar",
                                        dependencies.LOADER]
    # no layers.idx (Boot before 2.3): every BOOT-INF/lib jar but snapshots
    assert dependencies.select(unpacked_boot_app(tmp_path / "old", None)) == [
        "BOOT-INF/lib/jackson-core-2.19.2.jar", "BOOT-INF/lib/module-1.0.jar", "BOOT-INF/lib/spring-core-6.2.12.jar",
        dependencies.LOADER]
    plain = tmp_path / "plain"
    (plain / "lib").mkdir(parents=True)
    (plain / "example").mkdir()
    for name in ("gson-2.11.0.jar", "tool-2.0-SNAPSHOT.jar"):
        (plain / "lib" / name).write_bytes(name.encode())
    (plain / "example/Main.class").write_bytes(b"main")
    assert dependencies.select(plain) == ["lib/gson-2.11.0.jar"]   # no loader: not a Boot app
    assert dependencies.select(tmp_path / "none") == []


def test_the_dependencies_key_follows_the_jars_and_not_the_code(tmp_path: Path) -> None:
    one = unpacked_boot_app(tmp_path / "1", message=b"hello")
    two = unpacked_boot_app(tmp_path / "2", message=b"howdy")   # a code change
    paths = dependencies.select(one)
    assert dependencies.key(one, paths) == dependencies.key(two, paths)
    assert dependencies.key(one, paths)["count"] == "3"           # 2 jars and the loader's one class
    (two / "BOOT-INF/lib/spring-core-6.2.12.jar").write_bytes(b"core 6.2.13")
    assert dependencies.key(one, paths) != dependencies.key(two, paths)


def test_moved_jars_become_symlinks_into_the_layer_and_the_sbom_lists_them_from_there(tmp_path: Path) -> None:
    app = unpacked_boot_app(tmp_path / "app")
    make_jar(app / "BOOT-INF/lib/spring-core-6.2.12.jar", "Manifest-Version: 1.0\n\n", {
        "META-INF/maven/org.springframework/spring-core/pom.properties":
            b"artifactId=spring-core\ngroupId=org.springframework\nversion=6.2.12\n"})
    paths = dependencies.select(app)
    layer = tmp_path / "layer"
    dependencies.copy(app, paths, layer)
    dependencies.link(app, paths)
    target = f"{dependencies.TARGET}/app"
    assert target == "/layers/java/dependencies/app"
    assert os.readlink(app / "BOOT-INF/lib/jackson-core-2.19.2.jar") == f"{target}/BOOT-INF/lib/jackson-core-2.19.2.jar"
    assert os.readlink(app / dependencies.LOADER) == f"{target}/{dependencies.LOADER}"
    assert (app / "BOOT-INF/lib/internal-1.0-SNAPSHOT.jar").read_bytes() == b"snapshot"   # stays with the app
    assert [(rel, mode) for rel, mode, _ in tree(layer)] == [
        ("app", 0o755), ("app/BOOT-INF", 0o755), ("app/org", 0o755), ("app/BOOT-INF/lib", 0o755),
        ("app/BOOT-INF/lib/jackson-core-2.19.2.jar", 0o644), ("app/BOOT-INF/lib/spring-core-6.2.12.jar", 0o644),
        ("app/org/springframework", 0o755), ("app/org/springframework/boot", 0o755),
        ("app/org/springframework/boot/loader", 0o755), ("app/org/springframework/boot/loader/launch", 0o755),
        ("app/org/springframework/boot/loader/launch/JarLauncher.class", 0o644)]
    assert not (layer / "lib").exists()   # a top-level lib/ would join LD_LIBRARY_PATH
    in_app = {c.name for c in jar.jar_components(app)}
    in_layer = {(c.purl, c.layer) for c in jar.jar_components(layer / "app", layer="dependencies")}
    assert in_app == {"internal-1.0-SNAPSHOT", "module"}
    assert ("pkg:maven/org.springframework/spring-core@6.2.12", "dependencies") in in_layer


def test_the_dependencies_layer_is_reused_when_only_the_code_changed(tmp_path: Path) -> None:
    from builder.lifecycle.layercache import DirLayerCache
    from buildpacks.java.build import JavaBuildpack

    @dataclass
    class Ctx:
        cache: DirLayerCache
        logged: list[str] = field(default_factory=list)

        def log(self, text: str) -> None:
            self.logged.append(text)

    ctx = Ctx(DirLayerCache(tmp_path / "cache"))
    first = JavaBuildpack()._dependencies(ctx, unpacked_boot_app(tmp_path / "1"))  # type: ignore[arg-type]
    second = JavaBuildpack()._dependencies(ctx, unpacked_boot_app(tmp_path / "2", message=b"howdy"))  # type: ignore[arg-type]
    assert first is not None and second is not None
    assert (first.target, first.launch, first.path) == ("/layers/java/dependencies", True, second.path)
    assert ctx.logged[0].startswith("dependencies: 2 jars and the Spring Boot loader (0.0 MB) in a layer of their own, new")
    assert ctx.logged[1].endswith("reused (the same jars)")
    assert tree(first.path) and (first.path / "app/BOOT-INF/lib/spring-core-6.2.12.jar").read_bytes() == b"core"
    assert JavaBuildpack()._dependencies(ctx, tmp_path / "empty") is None  # type: ignore[arg-type]
