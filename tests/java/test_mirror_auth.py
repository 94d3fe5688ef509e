"""The generated mirror settings.xml on a real Maven against a local repository that demands Basic auth.

The credentials live only in the environment (`${env.…}` in the file): Maven
interpolates them, answers the 401 challenge with them, and neither its output
nor the file holds the password. The parent pom makes Maven download in
`validate`, so no plugin (and no Maven Central) is needed.
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from buildpacks.java import maven
from tests.infra.procs import http_server

USER, PASSWORD = "mvn@user", "S3cr/t-pass"
PARENT = ('<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>'
          "<groupId>org.example</groupId><artifactId>parent</artifactId><version>1.0</version>"
          "<packaging>pom</packaging></project>")
CHILD = ('<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>'
         "<parent><groupId>org.example</groupId><artifactId>parent</artifactId><version>1.0</version></parent>"
         "<artifactId>app</artifactId></project>")


class Repository(BaseHTTPRequestHandler):
    """Serves the parent pom under /maven2 to USER:PASSWORD only; records each request's Authorization."""

    seen: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        given = self.headers.get("Authorization", "")
        self.seen.append(given)
        expected = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        if given != expected:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="maven"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = PARENT.encode() if self.path == "/maven2/org/example/parent/1.0/parent-1.0.pom" else b""
        self.send_response(200 if body else 404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def repository() -> Iterator[str]:
    Repository.seen = []
    with http_server(Repository) as port:
        yield f"http://127.0.0.1:{port}/maven2"


@pytest.mark.skipif(shutil.which("mvn") is None, reason="needs Debian's maven on the host")
def test_real_maven_authenticates_to_the_mirror_from_env_and_prints_no_secret(repository: str, tmp_path: Path) -> None:
    quoted = "mvn%40user:S3cr%2Ft-pass"
    found = maven.mirror(repository.replace("http://", f"http://{quoted}@"))
    (tmp_path / "settings.xml").write_text(maven.mirror_settings(found))
    (tmp_path / "app").mkdir()
    (tmp_path / "app/pom.xml").write_text(CHILD)
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    env.update(found.env)
    run = subprocess.run(["mvn", "-B", "-X", "-s", str(tmp_path / "settings.xml"),
                          f"-Dmaven.repo.local={tmp_path / 'm2'}", "validate"],
                         cwd=tmp_path / "app", env=env, capture_output=True, text=True, timeout=300)
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-3000:]
    assert f"Downloaded from {maven.MIRROR_ID}: {repository}/org/example/parent/1.0/parent-1.0.pom" in output
    assert PASSWORD not in output and "S3cr%2Ft" not in output                          # even with -X
    assert any(a.startswith("Basic ") for a in Repository.seen)                           # answered the challenge
    assert PASSWORD not in (tmp_path / "settings.xml").read_text()
    assert (tmp_path / "m2/org/example/parent/1.0/parent-1.0.pom").is_file()
