"""The Java, Ruby, Python and Go apps of bench/build.py (`--app java-plain`, …); Node's is in build.py.

java-plain   examples/java-plain (Maven, no dependencies, the JDK's com.sun.net.httpserver).
             Dockerfile peer (dockerfile/java.Dockerfile): a build stage on Debian trixie slim +
             openjdk-21-jdk-headless + maven (`mvn dependency:go-offline` on the pom, then
             `mvn -B -DskipTests package`), a runtime stage on trixie slim + openjdk-21-jre-headless
             + the jar, USER 1000. Both images (dockerfile/java-base.Dockerfile) are made once and kept,
             like pulled images. dockless builds with the same Debian JDK, JRE and maven.
             Warm for both: the Debian base / stack, the JDK, JRE and maven packages (dockless: an
             untimed warm-up build of the same app under another artifactId, so the Maven local
             repository, cached by the poms, stays cold for the benchmarked pom). Cold for both: every
             Maven download (Maven Central) and every layer and push.
             Code change: one line of Main.java.

java-spring  examples/java-spring (Spring Boot 3.5 web, dependencies from Maven Central), the same
             way as java-plain, with the same Dockerfile (Spring Boot's repackaged fat jar) and the
             same warm-up (java-plain); code change: one line of Application.java.

ruby-sinatra examples/ruby-sinatra (Sinatra 3 + WEBrick, Gemfile.lock, 7 pure-Ruby gems).
             rubygems.org is not reachable: both sides install from the tests' local gem server
             (tests/ruby/gemserver.py: .gem files made from Debian's ruby-* packages, Basic auth),
             dockless through `--env BUNDLE_MIRROR__ALL=…`, docker through the same URL as a build
             arg given to `bundle install` alone. Dockerfile peer (dockerfile/ruby.Dockerfile):
             trixie slim + ruby3.3 ruby bundler (dockerfile/ruby-base.Dockerfile, made once and
             kept), Gemfile + Gemfile.lock, `bundle install` in deployment mode without
             development:test, the gem cache dropped, the rest, USER 1000.
             Warm for both: the Debian base / stack with Ruby and Bundler (dockless: an untimed
             warm-up build of examples/ruby-event-logger, which has no gems). Cold for both: every gem
             download and install, every layer and push.
             Code change: one line of app.rb.

python-flask examples/python-flask-pip (Flask 3 + gunicorn, a hashed requirements.txt, 7 wheels from PyPI).
             Dockerfile peer (dockerfile/python.Dockerfile): trixie slim + python3.13 + python3.13-venv
             (dockerfile/python-base.Dockerfile, made once and kept, like a pulled python:3.13-slim), a
             venv, requirements.txt first and `pip install --require-hashes`, the rest, USER 1000.
             Warm for both: the Debian base / stack with CPython (dockless: an untimed warm-up build of a
             one-wheel app, which also fetches the pinned pip wheel). Cold for both: every PyPI download,
             every layer and push. Code change: one line of app.py.

go-chi       examples/go-chi (a chi router from the Go module proxy; go.mod asks for toolchain go1.24.4).
             Dockerfile peer (dockerfile/go.Dockerfile): a build stage on trixie slim + Debian's
             golang-1.24-go (dockerfile/go-base.Dockerfile, made once and kept, like a pulled golang
             image; GOTOOLCHAIN=local), `go mod download` on go.mod + go.sum, then a static build
             (CGO_ENABLED=0, -trimpath); the binary alone on trixie slim, USER 1000. dockless takes the
             exact toolchain go.mod names from the Go module proxy (checksum-database verified).
             Warm for both: the base images / stack; dockless also the toolchain (an untimed warm-up build
             of examples/go-cmd, which has no dependencies). Cold for both: the modules, the compile of
             the standard library and the app, every layer and push. Code change: one line of main.go.
             The report's last line gives the size of the golang-based image (the build stage as a
             single-stage image would ship it) beside dockless's.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import ssl
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx

from bench.benchlib import (ASSETS, CA_BUNDLE, REPO_ROOT, App, BenchError, Prepared, ensure_base_image,
                            ensure_debian_base, replace_line, run)


def package_version(image: str, package: str) -> str:
    """The Debian version of `package` in a docker image."""
    return run(["docker", "run", "--rm", "--network", "none", image, "dpkg-query", "-W", "-f=${Version}", package],
               f"dpkg-query in {image}").stdout.strip()


class JavaApp(App):
    name = "java-plain"
    example = REPO_ROOT / "examples" / "java-plain"
    dockerfile = ASSETS / "java.Dockerfile"
    dockerignore = ASSETS / "java.dockerignore"
    reused_marker = "Maven local repository: reused"

    @contextlib.contextmanager
    def prepare(self, args: argparse.Namespace, work: Path) -> Iterator[Prepared]:
        debian = ensure_debian_base(args.suite, args.mirror)
        cas = host_cas()  # java-base.Dockerfile COPYs *.crt: Maven in the build stage must trust the HTTPS proxy
        recipe = ASSETS / "java-base.Dockerfile"
        jdk = ensure_base_image(f"java:21-jdk-maven-{args.suite}-slim", recipe, {"DEBIAN": debian}, cas, work,
                                target="jdk")
        jre = ensure_base_image(f"java:21-jre-{args.suite}-slim", recipe, {"DEBIAN": debian}, {}, work, target="jre")
        jre_version = package_version(jre, "openjdk-21-jre-headless")
        maven_version = package_version(jdk, "maven")
        warmup = work / "warmup"  # java-plain as another artifact: the Maven repository it fills is not reused
        shutil.copytree(JavaApp.example, warmup, ignore=shutil.ignore_patterns("target", ".git"))
        replace_line(warmup / "pom.xml", "<artifactId>java-plain</artifactId>", "<artifactId>warmup</artifactId>")
        yield Prepared(build_args={"BUILD": jdk, "RUNTIME": jre}, dockless_env={}, warmup=warmup,
                       versions=f"OpenJDK {jre_version}, Maven {maven_version} (Debian {args.suite} packages)",
                       warmup_check=["Java 21 ", "openjdk-21-jre-headless at launch"])

    def change_one_line(self, src: Path) -> None:
        replace_line(src / "src/main/java/example/Main.java", 'byte[] body = ("plain java "',
                     'byte[] body = ("plain java, changed, "')


class JavaSpringApp(JavaApp):
    name = "java-spring"
    example = REPO_ROOT / "examples" / "java-spring"

    def change_one_line(self, src: Path) -> None:
        replace_line(src / "src/main/java/example/Application.java", 'return "Hello from Spring Boot',
                     'return "Hello again from Spring Boot')


class RubyApp(App):
    name = "ruby-sinatra"
    example = REPO_ROOT / "examples" / "ruby-sinatra"
    dockerfile = ASSETS / "ruby.Dockerfile"
    dockerignore = ASSETS / "ruby.dockerignore"
    reused_marker = "gems: reused the cached layer"

    @contextlib.contextmanager
    def prepare(self, args: argparse.Namespace, work: Path) -> Iterator[Prepared]:
        from tests.ruby.gemserver import build_gem_repo, running_gem_server  # test infrastructure, reused

        debian = ensure_debian_base(args.suite, args.mirror)
        base = ensure_base_image(f"ruby:3.3-{args.suite}-slim", ASSETS / "ruby-base.Dockerfile", {"DEBIAN": debian},
                                 {}, work)
        ruby_version = package_version(base, "ruby3.3")
        bundler_version = package_version(base, "bundler")
        warmup = work / "warmup"
        shutil.copytree(REPO_ROOT / "examples" / "ruby-event-logger", warmup)
        print("making the local gem server's gems", file=sys.stderr)
        repo = build_gem_repo(work / "gem-server")
        with running_gem_server(repo) as server:
            mirror = server.mirror_env()
            yield Prepared(build_args={"BASE": base, "GEM_MIRROR": mirror["BUNDLE_MIRROR__ALL"]},
                           dockless_env=mirror, warmup=warmup,
                           versions=f"ruby3.3 {ruby_version}, bundler {bundler_version} (Debian {args.suite} "
                                    f"packages), gems from a local gem server")

    def change_one_line(self, src: Path) -> None:
        replace_line(src / "app.rb", '"hello from sinatra ', '"hello again from sinatra ')


def host_cas() -> dict[str, Path]:
    """The host's extra CAs (the HTTPS proxy's), for base images whose build step downloads."""
    cas = {path.name: path for path in sorted(Path("/usr/local/share/ca-certificates").glob("*.crt"))}
    if not cas:
        raise BenchError("no extra CA under /usr/local/share/ca-certificates: add the HTTPS proxy's there")
    return cas


def pypi_sha256(name: str, version: str) -> str:
    """The sha256 PyPI publishes for the py3 wheel of name==version (for the warm-up's hashed requirement)."""
    trust = ssl.create_default_context(cafile=str(CA_BUNDLE))
    with httpx.Client(timeout=60, verify=trust) as client:
        doc = client.get(f"https://pypi.org/pypi/{name}/json").raise_for_status().json()
    for file in doc["releases"][version]:
        if file["filename"].endswith("-py3-none-any.whl") or file["filename"].endswith("py2.py3-none-any.whl"):
            return str(file["digests"]["sha256"])
    raise BenchError(f"PyPI has no universal wheel of {name} {version}")


class PythonApp(App):
    name = "python-flask"
    example = REPO_ROOT / "examples" / "python-flask-pip"
    dockerfile = ASSETS / "python.Dockerfile"
    dockerignore = ASSETS / "python.dockerignore"
    reused_marker = "venv: reused the cached layer"

    @contextlib.contextmanager
    def prepare(self, args: argparse.Namespace, work: Path) -> Iterator[Prepared]:
        debian = ensure_debian_base(args.suite, args.mirror)
        base = ensure_base_image(f"python:3.13-{args.suite}-slim", ASSETS / "python-base.Dockerfile",
                                 {"DEBIAN": debian}, host_cas(), work)
        python_version = package_version(base, "python3.13")
        warmup = work / "warmup"
        warmup.mkdir()
        (warmup / "app.py").write_text("import six\nprint(six.__version__)\n")
        (warmup / "requirements.txt").write_text(f"six==1.17.0 --hash=sha256:{pypi_sha256('six', '1.17.0')}\n")
        yield Prepared(build_args={"BASE": base}, dockless_env={}, warmup=warmup,
                       versions=f"python3.13 {python_version} (Debian {args.suite} packages), wheels from PyPI",
                       warmup_check=["CPython 3.13 from Debian"])

    def change_one_line(self, src: Path) -> None:
        replace_line(src / "app.py", 'return f"hello from flask', 'return f"hello again from flask')


class GoApp(App):
    name = "go-chi"
    example = REPO_ROOT / "examples" / "go-chi"
    dockerfile = ASSETS / "go.Dockerfile"
    dockerignore = ASSETS / "go.dockerignore"
    reused_marker = "modules: reused the cached module cache"

    @contextlib.contextmanager
    def prepare(self, args: argparse.Namespace, work: Path) -> Iterator[Prepared]:
        debian = ensure_debian_base(args.suite, args.mirror)
        build = ensure_base_image(f"golang:1.24-{args.suite}", ASSETS / "go-base.Dockerfile", {"DEBIAN": debian},
                                  host_cas(), work)
        go_version = package_version(build, "golang-1.24-go")
        golang_mb = int(run(["docker", "image", "inspect", "-f", "{{.Size}}", build], "docker image inspect")
                        .stdout.strip()) / 1e6
        warmup = work / "warmup"
        shutil.copytree(REPO_ROOT / "examples" / "go-cmd", warmup)
        (warmup / "project.toml").write_text('[_]\nschema-version = "0.2"\n\n[[io.buildpacks.build.env]]\n'
                                             'name = "BP_GO_TARGETS"\nvalue = "./cmd/api:./cmd/worker"\n')
        yield Prepared(build_args={"BUILD": build, "RUNTIME": debian}, dockless_env={}, warmup=warmup,
                       versions=f"docker: golang-1.24-go {go_version} (Debian {args.suite}); dockless: the toolchain "
                                f"go.mod names, from the Go module proxy; golang-based image (the build stage "
                                f"shipped as is): {golang_mb:.0f} MB uncompressed")

    def change_one_line(self, src: Path) -> None:
        replace_line(src / "main.go", 'fmt.Fprintf(w, "hello from chi on %s\\n"', 'fmt.Fprintf(w, "hello again from chi on %s\\n"')


APPS: dict[str, type[App]] = {app.name: app for app in (JavaApp, JavaSpringApp, RubyApp, PythonApp, GoApp)}
