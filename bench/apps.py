"""The Java and Ruby apps of bench/build.py (`--app java-plain`, `--app ruby-sinatra`); Node's is in build.py.

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
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

from bench.benchlib import (ASSETS, REPO_ROOT, App, BenchError, Prepared, ensure_base_image, ensure_debian_base,
                            replace_line, run)


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
        cas = {path.name: path for path in sorted(Path("/usr/local/share/ca-certificates").glob("*.crt"))}
        if not cas:  # java-base.Dockerfile COPYs *.crt: Maven in the build stage must trust the HTTPS proxy
            raise BenchError("no extra CA under /usr/local/share/ca-certificates: add the HTTPS proxy's there")
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


APPS: dict[str, type[App]] = {app.name: app for app in (JavaApp, JavaSpringApp, RubyApp)}
