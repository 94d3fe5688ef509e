"""A tiny PEP 503 simple index with HTTP Basic auth, holding wheels fetched from PyPI: a private index stand-in.

    with PrivateIndex.serving(tmp_path, {"bottle": "0.13.4"}) as index:
        index.url_with_credentials  -> http://ci:<password>@127.0.0.1:PORT/simple/ (index.url without them)
        index.sha256("bottle")      -> the served wheel's sha256, for locks written by a test
        index.requests              -> paths served to authenticated clients
        index.refused               -> how many requests came without (or with wrong) credentials

The wheels come from PyPI's JSON API through the host's proxy (SSL_CERT_FILE),
checked against PyPI's sha256; the index links carry `#sha256=` as PyPI's do.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import os
import secrets
import ssl
import threading
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

PYPI = "https://pypi.org/pypi"


def fetch_wheel(name: str, version: str, into: Path) -> Path:
    """The pure-Python wheel of `name` `version` from PyPI, verified by its sha256."""
    context = ssl.create_default_context(cafile=os.environ.get("SSL_CERT_FILE") or None)
    with urllib.request.urlopen(f"{PYPI}/{name}/json", timeout=60, context=context) as resp:
        files = json.load(resp)["releases"][version]
    wheel = next(f for f in files if f["filename"].endswith("-none-any.whl"))
    url = urllib.parse.urljoin(f"{PYPI}/{name}/json", wheel["url"])
    with urllib.request.urlopen(url, timeout=60, context=context) as resp:
        data = resp.read()
    assert hashlib.sha256(data).hexdigest() == wheel["digests"]["sha256"]
    path = into / str(wheel["filename"])
    path.write_bytes(data)
    return path


@dataclass
class PrivateIndex:
    root: Path
    port: int
    username: str
    password: str
    requests: list[str] = field(default_factory=list)
    refused: int = 0
    wheels: dict[str, Path] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/simple/"

    def sha256(self, name: str) -> str:
        return hashlib.sha256(self.wheels[name].read_bytes()).hexdigest()

    @property
    def url_with_credentials(self) -> str:
        return f"http://{self.username}:{self.password}@127.0.0.1:{self.port}/simple/"

    @classmethod
    @contextmanager
    def serving(cls, workdir: Path, packages: Mapping[str, str]) -> Iterator[PrivateIndex]:
        workdir.mkdir(parents=True, exist_ok=True)
        wheels = {name: fetch_wheel(name, version, workdir) for name, version in packages.items()}
        index = cls(workdir, 0, "ci", "pw-" + secrets.token_hex(8), wheels=wheels)
        expected = "Basic " + base64.b64encode(f"{index.username}:{index.password}".encode()).decode()

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                if self.headers.get("Authorization") != expected:
                    index.refused += 1
                    self.send_response(401)
                    self.send_header("WWW-Authenticate", 'Basic realm="private"')
                    self.end_headers()
                    return
                index.requests.append(self.path)
                parts = [p for p in self.path.split("?")[0].split("/") if p]
                body, kind = b"", "text/html"
                if parts[:1] == ["simple"] and len(parts) == 2 and parts[1] in wheels:
                    wheel = wheels[parts[1]]
                    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
                    body = (f'<html><body><a href="/files/{html.escape(wheel.name)}#sha256={digest}">'
                            f"{html.escape(wheel.name)}</a></body></html>").encode()
                elif parts[:1] == ["files"] and len(parts) == 2 and (workdir / parts[1]).is_file():
                    body, kind = (workdir / parts[1]).read_bytes(), "application/octet-stream"
                else:
                    self.send_response(404)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        index.port = server.server_address[1]
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield index
        finally:
            server.shutdown()
            server.server_close()
