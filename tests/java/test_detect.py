"""The Java detector on real files: build tool, Java version and its source, bad input."""

from __future__ import annotations

import subprocess
import zipfile
from pathlib import Path

import pytest

from builder.errors import UsageError
from detectors.java import JavaDetector, read_pom_properties

POM = """<?xml version="1.0"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>g</groupId><artifactId>a</artifactId><version>1</version>
  <properties>{props}</properties>
</project>
"""


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def make_jar(path: Path, manifest: str) -> Path:
    with zipfile.ZipFile(path, "w") as jar:
        jar.writestr("META-INF/MANIFEST.MF", manifest)
        jar.writestr("example/Main.class", b"\xca\xfe\xba\xbe")
    return path


def test_a_pom_asks_for_its_compiler_release_as_a_minimum(tmp_path: Path) -> None:
    write(tmp_path, {"pom.xml": POM.format(props="<maven.compiler.release>17</maven.compiler.release>")})
    found = JavaDetector().detect(tmp_path, {})
    assert found.passed and found.provides == ("jdk", "jre")
    meta = found.metadata("jdk")
    assert (meta["build_tool"], meta["java_version"], meta["java_version_source"], meta["java_version_exact"]) == \
        ("maven", "17", "pom.xml maven.compiler.release", "false")


def test_java_version_property_references_and_1_8_style_are_read(tmp_path: Path) -> None:
    write(tmp_path, {"pom.xml": POM.format(
        props="<java.version>1.8</java.version><maven.compiler.source>${java.version}</maven.compiler.source>")})
    meta = JavaDetector().detect(tmp_path, {}).metadata("jdk")
    assert (meta["java_version"], meta["java_version_source"]) == ("1.8", "pom.xml maven.compiler.source")


def test_bp_jvm_version_beats_system_properties_beats_the_pom(tmp_path: Path) -> None:
    write(tmp_path, {"pom.xml": POM.format(props="<maven.compiler.release>17</maven.compiler.release>"),
                     "system.properties": "# heroku\njava.runtime.version=25\n"})
    meta = JavaDetector().detect(tmp_path, {}).metadata("jdk")
    assert (meta["java_version"], meta["java_version_exact"]) == ("25", "true")
    assert meta["java_version_source"] == "system.properties java.runtime.version"
    meta = JavaDetector().detect(tmp_path, {"BP_JVM_VERSION": "21"}).metadata("jdk")
    assert (meta["java_version"], meta["java_version_source"]) == ("21", "BP_JVM_VERSION")


def test_mvnw_wins_over_debian_maven(tmp_path: Path) -> None:
    write(tmp_path, {"pom.xml": POM.format(props=""), "mvnw": "#!/bin/sh\n"})
    meta = JavaDetector().detect(tmp_path, {}).metadata("jdk")
    assert (meta["build_tool"], meta["java_version_source"]) == ("mvnw", "default")


def test_a_malformed_pom_names_line_and_column(tmp_path: Path) -> None:
    write(tmp_path, {"pom.xml": "<project>\n  <artifactId>a</groupId>\n</project>\n"})
    with pytest.raises(UsageError, match=r"pom.xml is not well-formed XML: line 2 column \d+: mismatched tag"):
        JavaDetector().detect(tmp_path, {})


def test_a_pom_that_is_not_a_project_is_refused(tmp_path: Path) -> None:
    write(tmp_path, {"pom.xml": "<settings/>"})
    with pytest.raises(UsageError, match="does not hold a Maven <project>"):
        read_pom_properties(tmp_path / "pom.xml")


def test_a_prebuilt_jar_with_main_class_is_detected_with_its_build_jdk(tmp_path: Path) -> None:
    make_jar(tmp_path / "lib.jar", "Manifest-Version: 1.0\r\n\r\n")  # no Main-Class: a library, not the app
    make_jar(tmp_path / "app.jar", "Manifest-Version: 1.0\r\nMain-Class: example.Main\r\nBuild-Jdk-Spec: 17\r\n\r\n")
    found = JavaDetector().detect(tmp_path, {})
    meta = found.metadata("jdk")
    assert (meta["build_tool"], meta["jar"], meta["java_version"]) == ("jar", "app.jar", "17")
    assert meta["java_version_source"] == "META-INF/MANIFEST.MF Build-Jdk-Spec"
    assert "example.Main" in found.reasons[0]


def test_an_exploded_jar_is_detected(tmp_path: Path) -> None:
    write(tmp_path, {"META-INF/MANIFEST.MF": "Manifest-Version: 1.0\nMain-Class: example.Main\n"})
    assert JavaDetector().detect(tmp_path, {}).metadata("jdk")["build_tool"] == "exploded"


def test_gradle_is_detected_so_that_the_build_can_refuse_it(tmp_path: Path) -> None:
    write(tmp_path, {"build.gradle.kts": "plugins { java }\n"})
    found = JavaDetector().detect(tmp_path, {})
    assert found.passed and found.metadata("jdk")["build_tool"] == "gradle"


def test_a_library_jar_alone_or_nothing_fails_detection(tmp_path: Path) -> None:
    make_jar(tmp_path / "lib.jar", "Manifest-Version: 1.0\n\n")
    found = JavaDetector().detect(tmp_path, {})
    assert not found.passed and "no pom.xml" in found.reasons[0]


def test_a_jar_made_by_the_jdk_tool_is_read(tmp_path: Path) -> None:
    """The real `jar` tool writes CRLF manifests with 72-byte continuation lines."""
    src = write(tmp_path / "src", {"Main.java": "public class Main { public static void main(String[] a) {} }\n"})
    subprocess.run(["javac", "-d", str(tmp_path / "classes"), str(src / "Main.java")], check=True)
    name = "M" + "x" * 90  # a Main-Class longer than one manifest line
    (tmp_path / "classes" / "Main.class").rename(tmp_path / "classes" / f"{name}.class")
    app = tmp_path / "app"
    app.mkdir()
    subprocess.run(["jar", "--create", "--file", str(app / "app.jar"), "--main-class", name,
                    "-C", str(tmp_path / "classes"), "."], check=True)
    found = JavaDetector().detect(app, {})
    assert found.metadata("jdk")["build_tool"] == "jar" and name in found.reasons[0]


def test_system_properties_with_a_utf8_bom_is_read(tmp_path: Path) -> None:
    """Windows editors write a BOM; it must not become part of the first key (the pom's 21 would win silently)."""
    write(tmp_path, {"pom.xml": POM.format(props="<maven.compiler.release>21</maven.compiler.release>")})
    (tmp_path / "system.properties").write_bytes(b"\xef\xbb\xbfjava.runtime.version=17\r\n")
    meta = JavaDetector().detect(tmp_path, {}).metadata("jdk")
    assert (meta["java_version"], meta["java_version_source"], meta["java_version_exact"]) == \
        ("17", "system.properties java.runtime.version", "true")
