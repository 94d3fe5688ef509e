"""Java apps from a git:// URL to a running container: Spring Boot, plain Maven, a prebuilt jar, bad input.

Maven cold builds cost minutes on a small machine, so the tests are few and
each proves several things. Dependencies come from Maven Central; the JDK and
JRE from Debian's archive; the image is pushed to the test registry and run.
"""

from __future__ import annotations

import gzip
import io
import json
import re
import subprocess
import tarfile
from pathlib import Path

import pytest

from tests.e2e.cli import Run, assert_clean_error, dockless
from tests.e2e.test_build import config_of, layer_names
from tests.infra.docker_engine import docker_run_output, run_container
from tests.infra.faultproxy import FaultProxy
from tests.infra.gitdaemon import GitDaemon
from tests.infra.registry import Registry, write_docker_config

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
JRE_HOME = "/usr/lib/jvm/java-21-openjdk-amd64"


def file_in_image(registry: Registry, repo: str, digest: str, name: str) -> bytes:
    """One file's bytes from the pushed image's layers, read from the registry (the run image has no `cat`)."""
    for layer in json.loads(registry.manifest(repo, digest)[0])["layers"]:
        with tarfile.open(fileobj=io.BytesIO(gzip.decompress(registry.blob(repo, layer["digest"])))) as tar:
            if name in tar.getnames():
                member = tar.extractfile(name)
                assert member is not None
                return member.read()
    raise AssertionError(f"{name} is in no layer")


def uploaded_blobs(proxy: FaultProxy) -> set[str]:
    """The digests of the blobs pushed through `proxy` since its stats were reset."""
    return {re.search(r"digest=(sha256(?::|%3A)[0-9a-f]{64})", r.path).group(1).replace("%3A", ":")  # type: ignore[union-attr]
            for r in proxy.stats.records if r.method == "PUT" and "/blobs/uploads/" in r.path}


def built(url: str, dest: str, config: Path, cache: Path, *args: str) -> Run:
    """`dockless build URL --image DEST ARGS…`, which must succeed."""
    run = dockless("build", url, "--image", dest, *args, docker_config=config, cache_dir=cache)
    assert run.code == 0, run.stderr
    return run


DEPS = "layers/java/dependencies/app"


def test_spring_boot_runs_on_port_as_pid_1_with_a_jre_only_and_a_code_change_uploads_kilobytes(  # type: ignore[no-untyped-def]
        publish, git_daemon: GitDaemon, registry: Registry, build_cache: Path, repo_name: str, tmp_path: Path,
        docker_engine: object) -> None:
    """Boot's release jars and loader ship in a layer of their own, symlinked from BOOT-INF/lib: the same launcher
    starts the app, a second build of the commit gives the same digest, and a code change reuses that layer
    and pushes only the app layer and the config."""
    name, url = publish("java-spring")
    with FaultProxy(registry, rate=0.0) as proxy:
        config = proxy.docker_config_dir(tmp_path / "cfg")
        dest = f"{proxy.host}/{repo_name}:v1"
        run = built(url, dest, config, build_cache)
        assert "Java 21 (pom.xml java.version)" in run.stderr
        assert re.search(r"dependencies: \d+ jars and the Spring Boot loader \(\d+\.\d MB\) in a layer of their own",
                         run.stderr), run.stderr
        again = built(url, dest, config, build_cache)
        assert again.last_line == run.last_line                             # same commit, same digest
        assert "in a layer of their own, reused (the same jars)" in again.stderr
        app = (EXAMPLES / "java-spring/src/main/java/example/Application.java").read_text()
        git_daemon.commit_change(name, "src/main/java/example/Application.java",
                                 app.replace("Hello from Spring Boot", "Howdy from Spring Boot"))
        proxy.stats.reset()
        v2 = built(url, dest, config, build_cache)
        assert "in a layer of their own, reused (the same jars)" in v2.stderr
        uploaded = uploaded_blobs(proxy)
    d1, d2 = run.last_line.split("@")[1], v2.last_line.split("@")[1]
    m1 = json.loads(registry.manifest(repo_name, d1)[0])
    m2 = json.loads(registry.manifest(repo_name, d2)[0])
    l1, l2 = [x["digest"] for x in m1["layers"]], [x["digest"] for x in m2["layers"]]
    names = layer_names(registry, repo_name, d1)
    deps = next(i for i, layer in enumerate(names) if f"{DEPS}/org/springframework/boot/loader/launch/JarLauncher.class"
                in layer)
    assert any(n.startswith(f"{DEPS}/BOOT-INF/lib/spring-core-") for n in names[deps])
    assert l1[deps] == l2[deps] and l1[:-1] == l2[:-1] and l1[-1] != l2[-1]   # only the app layer changed
    assert uploaded == {l2[-1], m2["config"]["digest"]}
    sizes = {x["digest"]: x["size"] for x in m2["layers"]}
    print(f"code change uploaded {sizes[l2[-1]] + m2['config']['size']} bytes (app layer {sizes[l2[-1]]}); "
          f"the dependency layer is {sizes[l2[deps]]} bytes")
    assert sizes[l2[-1]] < 100_000 < sizes[l2[deps]]

    direct = write_docker_config(tmp_path / "direct", {registry.host: (registry.username, registry.password)})
    pinned = f"{registry.host}/{repo_name}@{d2}"
    body = run_container(pinned, port=18231, docker_config=direct, timeout=120,
                         extra_args=("--read-only", "--tmpfs", "/tmp"))
    assert body.strip() == "Howdy from Spring Boot on Java 21"

    config = config_of(registry, repo_name, d2)["config"]
    assert config["Entrypoint"][:2] == ["/bin/sh", "-c"] and "exec " + JRE_HOME + "/bin/java" in config["Entrypoint"][2]
    assert "JAVA_TOOL_OPTIONS=-XX:MaxRAMPercentage=75" in config["Env"]
    assert not any(e.startswith("LD_LIBRARY_PATH=") for e in config["Env"])
    names = layer_names(registry, repo_name, d2)
    everything = [n for layer in names for n in layer]
    assert f"{JRE_HOME.lstrip('/')}/bin/java" in everything
    assert not any(n.endswith("/bin/javac") for n in everything)            # no compiler in the image
    assert not any(n.startswith("workspace/src") or n.startswith("workspace/target") or n == "workspace/pom.xml"
                   for n in everything)                                   # the unpacked jar, not the sources
    assert "workspace/BOOT-INF/classes/example/Application.class" in names[-1]
    links = {m.name: m.linkname for m in layer_members(registry, repo_name, d2, -1) if m.issym()}
    assert links["workspace/org/springframework/boot/loader"] == f"/{DEPS}/org/springframework/boot/loader"
    spring_core = next(n for n in links if n.startswith("workspace/BOOT-INF/lib/spring-core-"))
    assert links[spring_core] == f"/{DEPS}/{spring_core.removeprefix('workspace/')}"

    sbom = json.loads(file_in_image(registry, repo_name, d2, "layers/sbom/launch/sbom.cdx.json"))
    purls = {c["purl"].split("@")[0] for c in sbom["components"]}
    assert {"pkg:deb/debian/openjdk-21-jre-headless", "pkg:maven/org.springframework/spring-core",
            "pkg:maven/org.springframework.boot/spring-boot"} <= purls


def layer_members(registry: Registry, repo: str, digest: str, index: int) -> list[tarfile.TarInfo]:
    """The tar members of one layer of a pushed image."""
    layer = json.loads(registry.manifest(repo, digest)[0])["layers"][index]
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(registry.blob(repo, layer["digest"])))) as tar:
        return tar.getmembers()


WRAPPER_PROPERTIES = ("wrapperVersion=3.3.2\ndistributionType=only-script\ndistributionUrl="
                      "https://repo.maven.apache.org/maven2/org/apache/maven/apache-maven/3.9.11/apache-maven-3.9.11-bin.zip\n")


def test_mvnw_app_code_change_uploads_only_the_app_layer_and_rebuilds_reproducibly(  # type: ignore[no-untyped-def]
        publish, git_daemon: GitDaemon, registry: Registry, build_cache: Path, repo_name: str, tmp_path: Path,
        docker_engine: object) -> None:
    wrapper = (Path(__file__).resolve().parents[1] / "java/fixtures/mvnw").read_text()
    name, url = publish("java-plain", {  # a wrapper checked out on Windows: CRLF and no exec bit
        "mvnw": wrapper.replace("\n", "\r\n"), ".mvn/wrapper/maven-wrapper.properties": WRAPPER_PROPERTIES})
    with FaultProxy(registry, rate=0.0) as proxy:
        config = proxy.docker_config_dir(tmp_path / "cfg")
        dest = f"{proxy.host}/{repo_name}:latest"
        v1 = built(url, dest, config, build_cache)
        assert "running ./mvnw -B -DskipTests package" in v1.stderr
        again = built(url, dest, config, build_cache, "--verbose")
        assert again.last_line == v1.last_line                       # same commit, same digest
        assert "Downloading from" not in again.stderr and "reused" in again.stderr  # .m2 from its cache layer
        main = (EXAMPLES / "java-plain/src/main/java/example/Main.java").read_text()
        git_daemon.commit_change(name, "src/main/java/example/Main.java", main.replace("plain java ", "howdy java "))
        proxy.stats.reset()
        v2 = built(url, dest, config, build_cache)
        uploaded = uploaded_blobs(proxy)
    d1, d2 = v1.last_line.split("@")[1], v2.last_line.split("@")[1]
    m1 = json.loads(registry.manifest(repo_name, d1)[0])
    m2 = json.loads(registry.manifest(repo_name, d2)[0])
    l1, l2 = [x["digest"] for x in m1["layers"]], [x["digest"] for x in m2["layers"]]
    assert l1[:-1] == l2[:-1] and l1[-1] != l2[-1]                   # run image, JRE, sbom, processes reused
    assert uploaded == {l2[-1], m2["config"]["digest"]}
    cfg = write_docker_config(tmp_path / "direct", {registry.host: (registry.username, registry.password)})
    body = run_container(f"{registry.host}/{repo_name}@{d2}", port=18232, docker_config=cfg)
    assert body.strip() == "howdy java 21 on port 18232"


TLS_CHECK = """package example;
import java.security.KeyStore;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
public final class Tls {
    public static void main(String[] args) throws Exception {
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init((KeyStore) null);
        int trusted = 0;
        for (TrustManager manager : factory.getTrustManagers()) {
            if (manager instanceof X509TrustManager x509) trusted += x509.getAcceptedIssuers().length;
        }
        System.out.println("trusted " + trusted);
    }
}
"""


def prebuilt_jar_app(tmp_path: Path) -> Path:
    """An app that is server.jar (javac --release 17, Build-Jdk-Spec 17, as Maven's archiver writes it) and
    lib/tls-1.0.jar beside it (a dependency, as maven-dependency-plugin copies them)."""
    src = tmp_path / "src"
    (src / "example").mkdir(parents=True)
    (src / "example/Main.java").write_text((EXAMPLES / "java-plain/src/main/java/example/Main.java").read_text())
    (src / "example/Tls.java").write_text(TLS_CHECK)
    subprocess.run(["javac", "--release", "17", "-d", str(tmp_path / "classes"), str(src / "example/Main.java")],
                   check=True)
    subprocess.run(["javac", "--release", "17", "-d", str(tmp_path / "tls"), str(src / "example/Tls.java")], check=True)
    app = tmp_path / "app"
    (app / "lib").mkdir(parents=True)
    subprocess.run(["jar", "--create", "--file", str(app / "lib/tls-1.0.jar"), "-C", str(tmp_path / "tls"), "."],
                   check=True)
    (tmp_path / "manifest.txt").write_text("Build-Jdk-Spec: 17\n")
    subprocess.run(["jar", "--create", "--file", str(app / "server.jar"), "--main-class", "example.Main",
                    "--manifest", str(tmp_path / "manifest.txt"), "-C", str(tmp_path / "classes"), "."], check=True)
    return app


def test_a_prebuilt_jar_runs_on_the_oldest_jre_that_fits_its_build_jdk(  # type: ignore[no-untyped-def]
        publish, registry: Registry, docker_config: Path, build_cache: Path, repo_name: str, tmp_path: Path,
        docker_engine: object) -> None:
    _, url = publish(prebuilt_jar_app(tmp_path))
    run = dockless("build", url, "--image", f"{registry.host}/{repo_name}:v1",
                   docker_config=docker_config, cache_dir=build_cache)
    assert run.code == 0, run.stderr
    assert "Java 21 (META-INF/MANIFEST.MF Build-Jdk-Spec)" in run.stderr
    digest = run.last_line.split("@")[1]
    names = [n for layer in layer_names(registry, repo_name, digest) for n in layer]
    assert "workspace/example/Main.class" in names and "workspace/server.jar" not in names
    assert f"{DEPS}/lib/tls-1.0.jar" in names and "workspace/lib/tls-1.0.jar" in names  # the jar, and its symlink
    body = run_container(run.last_line, port=18233, docker_config=docker_config)
    assert body.strip() == "plain java 21 on port 18233"
    # the JRE trusts Debian's CAs (its cacerts is written by the buildpack, not a maintainer script); the class is
    # in lib/tls-1.0.jar, found through its symlink by the class path the web process has
    out = docker_run_output(run.last_line, "-cp", "/workspace:/workspace/lib/*", "example.Tls", docker_config=docker_config,
                            extra_args=("--entrypoint", f"{JRE_HOME}/bin/java"), timeout=60)
    assert int(out.split()[-1]) > 100, out


def test_java_17_asked_for_exactly_runs_on_bookworm_which_has_it(  # type: ignore[no-untyped-def]
        publish, registry: Registry, docker_config: Path, build_cache: Path, repo_name: str, tmp_path: Path,
        docker_engine: object) -> None:
    """trixie offers OpenJDK 21 and 25; BP_JVM_VERSION=17 moves the build to bookworm's openjdk-17."""
    _, url = publish(prebuilt_jar_app(tmp_path))
    run = dockless("build", url, "--env", "BP_JVM_VERSION=17", "--image", f"{registry.host}/{repo_name}:v1",
                   docker_config=docker_config, cache_dir=build_cache)
    assert run.code == 0, run.stderr
    assert "Java 17 (BP_JVM_VERSION) from Debian bookworm" in run.stderr
    assert run_container(run.last_line, port=18234, docker_config=docker_config).strip() == \
        "plain java 17 on port 18234"
    release = docker_run_output(run.last_line, "-c", "read v < /etc/debian_version; echo $v",
                                docker_config=docker_config, extra_args=("--entrypoint", "/bin/sh"), timeout=60)
    assert release.startswith("12.")


BROKEN_POM = (EXAMPLES / "java-plain/pom.xml").read_text().replace("</artifactId>\n  <version>", "</groupId>\n  <version>", 1)
TEST_SCOPED = (EXAMPLES / "java-plain/pom.xml").read_text().replace("<build>", """<dependencies>
    <dependency><groupId>com.google.code.gson</groupId><artifactId>gson</artifactId><version>2.11.0</version>
      <scope>test</scope></dependency>
  </dependencies>
  <build>""")
MISSING_DEP = (EXAMPLES / "java-plain/pom.xml").read_text().replace("<build>", """<dependencies>
    <dependency><groupId>io.dockless.nothing</groupId><artifactId>does-not-exist</artifactId><version>9.9.9</version></dependency>
  </dependencies>
  <build>""")


@pytest.mark.parametrize(("files", "env", "code", "words"), [
    ({"pom.xml": BROKEN_POM}, (), 2, ("pom.xml is not well-formed XML: line 7 column 27: mismatched tag",)),
    ({}, ("BP_JVM_VERSION=11",), 5, ("Java 11 (from BP_JVM_VERSION) is offered by no Debian suite of the stack: it "
                                     "offers Java 17 (bookworm), 21 (trixie), 25 (trixie)",)),
    ({"pom.xml": MISSING_DEP}, (), 5, ("mvn -B -DskipTests package failed", "does-not-exist")),
    ({"src/main/java/example/Main.java": "package example; class Main { void f() { int x = ; } }"}, (), 5,
     ("mvn -B -DskipTests package failed", "ERROR")),
    ({"pom.xml": "", "build.gradle": "plugins { id 'java' }\n"}, (), 5, ("Gradle builds are not supported yet",)),
    # a test-scoped dependency the app's own code needs: Maven refuses to compile it, so no image misses it at run
    ({"pom.xml": TEST_SCOPED, "src/main/java/example/UsesGson.java":
      "package example; import com.google.gson.Gson; class UsesGson { Object g = new Gson(); }\n"}, (), 5,
     ("mvn -B -DskipTests package failed", "package com.google.gson does not exist")),
], ids=["malformed-pom", "impossible-java", "missing-artifact", "failing-compile", "gradle", "test-scope-at-runtime"])
def test_bad_java_input_is_one_line_with_its_exit_code_and_nothing_is_pushed(  # type: ignore[no-untyped-def]
        files: dict[str, str], env: tuple[str, ...], code: int, words: tuple[str, ...], publish, registry: Registry,
        docker_config: Path, build_cache: Path, repo_name: str, tmp_path: Path) -> None:
    source = tmp_path / "app"
    subprocess.run(["cp", "-r", str(EXAMPLES / "java-plain"), str(source)], check=True)
    if "build.gradle" in files:
        (source / "pom.xml").unlink()
    for rel, text in files.items():
        if text:
            (source / rel).write_text(text)
    _, url = publish(source)
    args = [a for e in env for a in ("--env", e)]
    run = dockless("build", url, *args, "--image", f"{registry.host}/{repo_name}:v1",
                   docker_config=docker_config, cache_dir=build_cache)
    assert_clean_error(run, code, *words)
    assert registry.tags(repo_name) == []
