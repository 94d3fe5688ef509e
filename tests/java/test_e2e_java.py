"""A Heroku-shaped Maven app through the real `dockless build`: git:// source, Maven Central, the test registry, Docker.

One cold Maven build proves the trial's Java findings together, since a cold
build costs minutes on a small machine: a mirror URL with credentials never
reaches the log (-v), the image or the cache; a stale jar committed in target/
is not what ships; system.properties with a UTF-8 BOM is read; the Heroku
Procfile line `java -jar target/<jar>` runs the jar just built; and a second
build of the same commit gives the same digest.
"""

from __future__ import annotations

import gzip
import json
import os
import secrets
import shutil
import zipfile
from pathlib import Path

from tests.e2e.cli import dockless
from tests.infra.docker_engine import run_container
from tests.infra.registry import Registry

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def stale_jar(path: Path) -> None:
    """A jar an earlier local `mvn package` at version 0.9.0 left behind: runnable by its manifest, no classes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\nMain-Class: example.Main\n\n")


def image_bytes(registry: Registry, repo: str, digest: str) -> bytes:
    """The manifest, the config and every layer (uncompressed) of a pushed image, concatenated."""
    manifest = json.loads(registry.manifest(repo, digest)[0])
    found = [registry.manifest(repo, digest)[0], registry.blob(repo, manifest["config"]["digest"])]
    found += [gzip.decompress(registry.blob(repo, layer["digest"])) for layer in manifest["layers"]]
    return b"".join(found)


def files_holding(root: Path, needle: bytes) -> list[str]:
    """Every regular file under `root` whose bytes contain `needle`."""
    hits = []
    for directory, _, names in os.walk(root):
        for name in names:
            path = Path(directory) / name
            if path.is_file() and not path.is_symlink() and needle in path.read_bytes():
                hits.append(str(path))
    return hits


def test_heroku_shaped_maven_app_with_a_mirror_password_ships_the_new_jar_and_never_the_secret(  # type: ignore[no-untyped-def]
        publish, registry: Registry, docker_config: Path, build_cache: Path, repo_name: str, tmp_path: Path,
        docker_engine: object) -> None:
    password = f"Mvn{secrets.token_hex(8)}"
    source = tmp_path / "app"
    shutil.copytree(EXAMPLES / "java-plain", source)
    pom = (source / "pom.xml").read_text()  # a pom of its own: a cold local repository, so Maven downloads (and logs)
    (source / "pom.xml").write_text(pom.replace("<packaging>", "<!-- e2e: mirror -->\n  <packaging>", 1))
    stale_jar(source / "target/java-plain-0.9.0.jar")
    (source / "system.properties").write_bytes(b"\xef\xbb\xbfjava.runtime.version=21\r\n")
    (source / "Procfile").write_text("web: java $JAVA_OPTS -Dserver.port=$PORT -jar target/java-plain-1.0.0.jar\n")
    _, url = publish(source)
    mirror = f"https://dlsuser:{password}@repo.maven.apache.org/maven2"
    args = ("build", url, "--verbose", "--env", f"BP_MAVEN_MIRROR_URL={mirror}",
            "--image", f"{registry.host}/{repo_name}:v1")

    run = dockless(*args, docker_config=docker_config, cache_dir=build_cache)
    assert run.code == 0, run.stderr[-4000:]
    assert password not in run.stderr + run.stdout
    assert "Downloading from dockless-mirror: https://repo.maven.apache.org/maven2/" in run.stderr  # the mirror, no userinfo
    assert "Java 21 (system.properties java.runtime.version)" in run.stderr                       # BOM or not
    assert "removed target/ from the source" in run.stderr
    assert "application jar: target/java-plain-1.0.0.jar" in run.stderr
    digest = run.last_line.split("@")[1]
    assert password.encode() not in image_bytes(registry, repo_name, digest)
    assert files_holding(build_cache, password.encode()) == []                                    # settings.xml included

    config = json.loads(registry.blob(repo_name, json.loads(registry.manifest(repo_name, digest)[0])["config"]["digest"]))
    assert "-cp '/workspace:/workspace/lib/*' example.Main" in " ".join(config["config"]["Entrypoint"])
    body = run_container(run.last_line, port=18235, docker_config=docker_config, timeout=120,
                         extra_args=("--read-only", "--tmpfs", "/tmp"))
    assert body.strip() == "plain java 21 on port 18235"

    again = dockless(*args, docker_config=docker_config, cache_dir=build_cache)
    assert again.code == 0, again.stderr[-4000:]
    assert again.last_line == run.last_line                                                     # reproducible
    assert password not in again.stderr + again.stdout
