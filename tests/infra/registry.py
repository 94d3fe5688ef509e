"""A real distribution registry (Debian `docker-registry`, distribution 2.8) for tests.

Product code is tested against the same server Docker Hub's protocol is modelled
on, with htpasswd basic auth, deletes enabled and plain HTTP on loopback (the
way Docker itself treats 127.0.0.0/8). The query helpers here use plain urllib so
that assertions never depend on dockless' own registry client.
"""

from __future__ import annotations

import base64
import json
import secrets
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import Message
from pathlib import Path

from .procs import BackgroundProcess, require_tool, run, start_on_free_port

MANIFEST_MEDIA_TYPES = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v2+json",
)

# Loopback must never go through an HTTP(S)_PROXY from the environment.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass(frozen=True)
class HttpResponse:
    """Status, headers and body of one HTTP exchange (4xx/5xx included, not raised)."""

    status: int
    headers: Message
    body: bytes

    def json(self) -> object:
        return json.loads(self.body)


def http_request(url: str, method: str = "GET", *, headers: Mapping[str, str] | None = None,
                 data: bytes | None = None, timeout: float = 30) -> HttpResponse:
    """One HTTP request with no proxy and no exception for error statuses."""
    req = urllib.request.Request(url, data=data, method=method, headers=dict(headers or {}))
    try:
        with _OPENER.open(req, timeout=timeout) as resp:
            return HttpResponse(resp.status, resp.headers, resp.read())
    except urllib.error.HTTPError as err:
        with err:
            return HttpResponse(err.code, err.headers, err.read())


def basic_auth(username: str, password: str) -> str:
    """The base64 `user:pass` used both in `Authorization: Basic` and docker config `auth`."""
    return base64.b64encode(f"{username}:{password}".encode()).decode()


def write_docker_config(dest: Path, auths: Mapping[str, tuple[str, str]]) -> Path:
    """Write `dest/config.json` with `auths` entries; returns `dest` for use as DOCKER_CONFIG."""
    dest.mkdir(parents=True, exist_ok=True)
    doc = {"auths": {host: {"auth": basic_auth(u, p)} for host, (u, p) in auths.items()}}
    (dest / "config.json").write_text(json.dumps(doc, indent=2) + "\n")
    return dest


@dataclass(frozen=True)
class Registry:
    """A running registry: where it is, how to log in, and read-only queries for assertions."""

    host: str
    username: str | None
    password: str | None
    root: Path
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://{self.host}"

    @property
    def creds(self) -> str | None:
        """`user:pass` for skopeo's --creds/--src-creds/--dest-creds, None without auth."""
        if self.username is None or self.password is None:
            return None
        return f"{self.username}:{self.password}"

    def docker_config_dir(self, dest: Path) -> Path:
        """Write a docker `config.json` with this registry's credentials into `dest`."""
        auths = {}
        if self.username is not None and self.password is not None:
            auths[self.host] = (self.username, self.password)
        return write_docker_config(dest, auths)

    def request(self, method: str, path: str, *, headers: Mapping[str, str] | None = None,
                data: bytes | None = None, auth: bool = True) -> HttpResponse:
        """Raw request to `/v2/...` with basic auth (unless `auth=False`)."""
        hdrs = dict(headers or {})
        if auth and self.username is not None and self.password is not None:
            hdrs["Authorization"] = "Basic " + basic_auth(self.username, self.password)
        return http_request(self.url + path, method, headers=hdrs, data=data)

    def tags(self, repo: str) -> list[str]:
        """Tags of `repo`, sorted; [] when the repository does not exist."""
        resp = self.request("GET", f"/v2/{repo}/tags/list?n=10000")
        if resp.status == 404:
            return []
        _expect(resp, 200, f"tags of {repo}")
        return sorted(_as_dict(resp.json()).get("tags") or [])

    def manifest(self, repo: str, ref: str) -> tuple[bytes, str, str]:
        """(raw bytes, media type, digest) of a manifest by tag or digest."""
        resp = self.request("GET", f"/v2/{repo}/manifests/{ref}",
                            headers={"Accept": ", ".join(MANIFEST_MEDIA_TYPES)})
        _expect(resp, 200, f"manifest {repo}:{ref}")
        return resp.body, resp.headers.get("Content-Type", ""), \
            resp.headers.get("Docker-Content-Digest", "")

    def manifest_digest(self, repo: str, ref: str) -> str | None:
        """`sha256:...` the registry reports for `repo:ref`, None when it does not exist."""
        resp = self.request("HEAD", f"/v2/{repo}/manifests/{ref}",
                            headers={"Accept": ", ".join(MANIFEST_MEDIA_TYPES)})
        if resp.status == 404:
            return None
        _expect(resp, 200, f"manifest {repo}:{ref}")
        return resp.headers["Docker-Content-Digest"]

    def blob_exists(self, repo: str, digest: str) -> bool:
        resp = self.request("HEAD", f"/v2/{repo}/blobs/{digest}")
        if resp.status == 404:
            return False
        _expect(resp, 200, f"blob {repo}@{digest}")
        return True

    def blob(self, repo: str, digest: str) -> bytes:
        resp = self.request("GET", f"/v2/{repo}/blobs/{digest}")
        _expect(resp, 200, f"blob {repo}@{digest}")
        return resp.body


def _as_dict(doc: object) -> dict[str, list[str]]:
    assert isinstance(doc, dict), doc
    return doc


def _expect(resp: HttpResponse, status: int, what: str) -> None:
    if resp.status != status:
        raise AssertionError(f"{what}: HTTP {resp.status}: {resp.body[:500]!r}")


def _answers_v2(port: int) -> bool:
    try:
        resp = http_request(f"http://127.0.0.1:{port}/v2/", timeout=2)
    except OSError:
        return False
    return resp.status in (200, 401) and "Docker-Distribution-Api-Version" in resp.headers


_CONFIG = """\
version: 0.1
log:
  level: info
  formatter: text
storage:
  filesystem:
    rootdirectory: {root}
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:{port}
  secret: dockless-test-secret
{auth}"""

_AUTH = """\
auth:
  htpasswd:
    realm: dockless-test
    path: {htpasswd}
"""


@contextmanager
def running_registry(workdir: Path, *, auth: bool = True,
                     username: str = "dockless") -> Iterator[Registry]:
    """Start `docker-registry serve` on a free loopback port under `workdir`; stop on exit."""
    binary = require_tool("docker-registry")
    password = secrets.token_urlsafe(12) if auth else None
    auth_yaml = ""
    if auth:
        assert password is not None
        require_tool("htpasswd")
        line = run(["htpasswd", "-Bbn", username, password]).stdout.decode().strip()
        htpasswd = workdir / "htpasswd"
        htpasswd.write_text(line + "\n")
        auth_yaml = _AUTH.format(htpasswd=htpasswd)
    root = workdir / "storage"
    root.mkdir(parents=True, exist_ok=True)
    log_path = workdir / "registry.log"

    def make(port: int) -> BackgroundProcess:
        config = workdir / "config.yml"
        config.write_text(_CONFIG.format(root=root, port=port, auth=auth_yaml))
        return BackgroundProcess([binary, "serve", str(config)], log_path, cwd=workdir)

    server, port = start_on_free_port(make, name="docker-registry", ready=_answers_v2)
    try:
        yield Registry(host=f"127.0.0.1:{port}", username=username if auth else None,
                       password=password, root=root, log_path=log_path)
    finally:
        server.stop()
