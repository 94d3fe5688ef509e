"""An in-memory distribution-spec registry (plus token server and blob storage) as an httpx transport.

It models the parts of Docker Hub / GHCR a local distribution does not show:
Bearer tokens with scopes and expiry, OAuth2 refresh-token grants, absolute
upload Locations on another host, blob downloads redirected to storage on
another host, mounts refused without pull access on the source. Faults are
scripted with `inject`. Tests against the real registry live elsewhere; this
is for precise, network-free checks of the client's behaviour.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import parse_qs

import httpx

Auth = Literal["none", "basic", "bearer"]
_BLOB = re.compile(r"^/v2/(?P<name>.+)/blobs/(?P<digest>sha256:[0-9a-f]{64})$")
_MANIFEST = re.compile(r"^/v2/(?P<name>.+)/manifests/(?P<ref>[^/]+)$")
_UPLOADS = re.compile(r"^/v2/(?P<name>.+)/blobs/uploads/(?P<id>[^/]*)$")
Fault = httpx.Response | Exception


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _error(status: int, code: str, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, json={"errors": [{"code": code, "message": code.lower()}]}, headers=headers)


@dataclass
class FakeRegistry:
    host: str = "registry.test"
    auth: Auth = "none"
    users: dict[str, str] = field(default_factory=lambda: {"alice": "wonderland"})
    refresh_tokens: dict[str, str] = field(default_factory=lambda: {"refresh-abc": "alice"})
    token_host: str = "auth.test"
    storage_host: str | None = None  # redirect blob GETs there (like S3 behind Docker Hub)
    upload_host: str | None = None   # absolute upload Locations on this host
    expires_in: int | None = 300

    blobs: dict[str, bytes] = field(default_factory=dict)
    repo_blobs: dict[str, set[str]] = field(default_factory=dict)
    manifests: dict[tuple[str, str], tuple[bytes, str]] = field(default_factory=dict)
    uploads: dict[str, str] = field(default_factory=dict)
    upload_data: dict[str, bytes] = field(default_factory=dict)
    tokens: dict[str, set[tuple[str, str]]] = field(default_factory=dict)
    log: list[httpx.Request] = field(default_factory=list)
    faults: list[tuple[str, str, Fault]] = field(default_factory=list)
    revoke_on: tuple[str, str] | None = None  # (method, path part): revoke all tokens when first seen

    def __post_init__(self) -> None:
        self._lock = threading.Lock()

    def transport(self) -> httpx.BaseTransport:
        return _SocketLike(self.handle)

    # ---- test controls -------------------------------------------------------

    def inject(self, method: str, path_part: str, fault: Fault) -> None:
        """The next `method` request whose path contains `path_part` gets `fault` instead."""
        with self._lock:
            self.faults.append((method, path_part, fault))

    def revoke_tokens(self) -> None:
        """Every issued token stops working (what expiry looks like to a client)."""
        with self._lock:
            self.tokens.clear()

    def requests(self, method: str | None = None, host: str | None = None, path: str = "") -> list[httpx.Request]:
        return [r for r in self.log if (method is None or r.method == method)
                and (host is None or r.url.host == host) and path in r.url.path]

    def seed(self, repo: str, data: bytes) -> str:
        """Put a blob into `repo` directly."""
        d = _digest(data)
        self.blobs[d] = data
        self.repo_blobs.setdefault(repo, set()).add(d)
        return d

    # ---- the server ----------------------------------------------------------

    def handle(self, request: httpx.Request) -> httpx.Response:
        # Iterate the body like a socket would: a generator body can be sent only once.
        body = b"".join(request.stream)  # type: ignore[arg-type]
        request = httpx.Request(request.method, request.url, headers=request.headers, content=body)
        with self._lock:
            if self.revoke_on is not None and request.method == self.revoke_on[0] \
                    and self.revoke_on[1] in request.url.path:
                self.revoke_on = None
                self.tokens.clear()
            # A copy: httpx reuses the Request object (auth flows add headers to it after a 401).
            self.log.append(httpx.Request(request.method, request.url, headers=request.headers.copy(),
                                          content=request.content))
            for i, (method, part, fault) in enumerate(self.faults):
                if request.method == method and part in request.url.path:
                    del self.faults[i]
                    if isinstance(fault, Exception):
                        raise fault
                    return fault
        if request.url.host == self.token_host:
            return self._token(request)
        if request.url.host == self.storage_host:
            return self._storage(request)
        if request.url.host == self.upload_host:
            return self._upload(request, request.url.path.rsplit("/", 1)[1])
        return self._registry(request)

    def _token(self, request: httpx.Request) -> httpx.Response:
        user: str | None = None
        if request.method == "POST":
            form = parse_qs(request.content.decode())
            if form.get("grant_type") != ["refresh_token"]:
                return httpx.Response(400)
            user = self.refresh_tokens.get(form.get("refresh_token", [""])[0])
            if user is None:
                return httpx.Response(401, json={"error": "invalid_grant"})
            scopes = form.get("scope", [""])[0].split(" ")
        else:
            header = request.headers.get("authorization", "")
            if header:
                u, _, p = base64.b64decode(header.removeprefix("Basic ")).decode().partition(":")
                if self.users.get(u) != p:
                    return httpx.Response(401, json={"details": "incorrect username or password"})
                user = u
            scopes = request.url.params.get_list("scope")
        granted: set[tuple[str, str]] = set()
        for scope in scopes:
            parts = scope.split(":")
            if len(parts) == 3 and parts[0] == "repository":
                for action in parts[2].split(","):
                    if user is not None or action == "pull":
                        granted.add((parts[1], action))
        token = secrets.token_hex(8)
        with self._lock:
            self.tokens[token] = granted
        body: dict[str, object] = {"token": token, "access_token": token}
        if self.expires_in is not None:
            body["expires_in"] = self.expires_in
        return httpx.Response(200, json=body)

    def _challenge(self, scope: str) -> httpx.Response:
        if self.auth == "basic":
            return _error(401, "UNAUTHORIZED", {"WWW-Authenticate": 'Basic realm="fake"'})
        params = f'realm="https://{self.token_host}/token",service="{self.host}"'
        if scope:
            params += f',scope="{scope}"'
        return _error(401, "UNAUTHORIZED", {"WWW-Authenticate": f"Bearer {params}"})

    def _allowed(self, request: httpx.Request, repo: str, action: str) -> bool:
        header = request.headers.get("authorization", "")
        if self.auth == "none":
            return True
        if self.auth == "basic":
            if not header.startswith("Basic "):
                return False
            u, _, p = base64.b64decode(header[6:]).decode().partition(":")
            return self.users.get(u) == p
        granted = self.tokens.get(header.removeprefix("Bearer "), None) if header.startswith("Bearer ") else None
        if granted is None:
            return False
        return not repo or (repo, action) in granted

    def _registry(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/v2/":
            return httpx.Response(200) if self._allowed(request, "", "") else self._challenge("")
        for pattern, handler in ((_UPLOADS, self._uploads), (_BLOB, self._blob), (_MANIFEST, self._manifest)):
            m = pattern.match(path)
            if m:
                name = m.group("name")
                action = "pull" if request.method in ("GET", "HEAD") else "push"
                if not self._allowed(request, name, action):
                    return self._challenge(f"repository:{name}:{'pull' if action == 'pull' else 'pull,push'}")
                return handler(request, m)
        return _error(404, "NOT_FOUND")

    def _blob(self, request: httpx.Request, m: re.Match[str]) -> httpx.Response:
        name, digest = m.group("name"), m.group("digest")
        if digest not in self.repo_blobs.get(name, set()):
            return _error(404, "BLOB_UNKNOWN")
        data = self.blobs[digest]
        if request.method == "GET" and self.storage_host:
            return httpx.Response(307, headers={"Location": f"https://{self.storage_host}/data/{digest}?sig=x"})
        return self._serve(request, data)

    def _serve(self, request: httpx.Request, data: bytes) -> httpx.Response:
        headers = {"Content-Length": str(len(data)), "Docker-Content-Digest": _digest(data)}
        rng = request.headers.get("range", "")
        if rng.startswith("bytes=") and request.method == "GET":
            start = int(rng[6:].split("-")[0])
            return httpx.Response(206, content=data[start:], headers={"Content-Length": str(len(data) - start)})
        return httpx.Response(200, content=b"" if request.method == "HEAD" else data, headers=headers)

    def _storage(self, request: httpx.Request) -> httpx.Response:
        if "authorization" in request.headers:
            return httpx.Response(400, text="storage refuses foreign Authorization headers")
        digest = request.url.path.rsplit("/", 1)[1]
        return self._serve(request, self.blobs[digest]) if digest in self.blobs else httpx.Response(404)

    def _uploads(self, request: httpx.Request, m: re.Match[str]) -> httpx.Response:
        name, upload_id = m.group("name"), m.group("id")
        if request.method == "POST" and not upload_id:
            mount, source = request.url.params.get("mount"), request.url.params.get("from")
            if mount and source and mount in self.repo_blobs.get(source, set()) \
                    and self._allowed(request, source, "pull"):
                self.repo_blobs.setdefault(name, set()).add(mount)
                return httpx.Response(201, headers={"Location": f"/v2/{name}/blobs/{mount}"})
            new_id = secrets.token_hex(6)
            with self._lock:
                self.uploads[new_id] = name
            if self.upload_host:
                location = f"https://{self.upload_host}/upload/{new_id}?_state=opaque%2Bstate"
            else:
                location = f"/v2/{name}/blobs/uploads/{new_id}?_state=opaque%2Bstate"
            return httpx.Response(202, headers={"Location": location})
        return self._upload(request, upload_id)

    def _upload(self, request: httpx.Request, upload_id: str) -> httpx.Response:
        if request.method not in ("PATCH", "PUT"):
            return _error(405, "UNSUPPORTED")
        if upload_id not in self.uploads:
            return _error(404, "BLOB_UPLOAD_UNKNOWN")
        if request.url.params.get("_state") != "opaque+state":
            return _error(400, "BLOB_UPLOAD_INVALID")
        name = self.uploads[upload_id]
        self.upload_data[upload_id] = self.upload_data.get(upload_id, b"") + request.content
        if request.method == "PATCH":
            base = f"https://{self.upload_host}/upload" if self.upload_host else f"/v2/{name}/blobs/uploads"
            return httpx.Response(202, headers={"Location": f"{base}/{upload_id}?_state=opaque%2Bstate",
                                                "Range": f"0-{len(self.upload_data[upload_id]) - 1}"})
        del self.uploads[upload_id]
        digest, data = request.url.params.get("digest", ""), self.upload_data.pop(upload_id)
        if _digest(data) != digest:
            return _error(400, "DIGEST_INVALID")
        self.blobs[digest] = data
        self.repo_blobs.setdefault(name, set()).add(digest)
        return httpx.Response(201, headers={"Location": f"/v2/{name}/blobs/{digest}", "Docker-Content-Digest": digest})

    def _manifest(self, request: httpx.Request, m: re.Match[str]) -> httpx.Response:
        name, ref = m.group("name"), m.group("ref")
        if request.method == "PUT":
            data = request.content
            media_type = request.headers.get("content-type", "")
            doc = json.loads(data)
            missing = [d["digest"] for d in [doc.get("config", {}), *doc.get("layers", [])]
                       if d and d["digest"] not in self.repo_blobs.get(name, set())]
            if missing:
                return _error(400, "MANIFEST_BLOB_UNKNOWN")
            digest = _digest(data)
            self.manifests[(name, ref)] = self.manifests[(name, digest)] = (data, media_type)
            return httpx.Response(201, headers={"Docker-Content-Digest": digest})
        found = self.manifests.get((name, ref))
        if found is None:
            return _error(404, "MANIFEST_UNKNOWN")
        data, media_type = found
        return httpx.Response(200, content=data, headers={"Content-Type": media_type,
                                                          "Docker-Content-Digest": _digest(data)})


class _SocketLike(httpx.BaseTransport):
    """Like httpx.MockTransport, minus its `request.read()`: a streamed body can be sent only once."""

    def __init__(self, handler: Callable[[httpx.Request], httpx.Response]) -> None:
        self.handler = handler

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self.handler(request)


def bearer(**kw: object) -> FakeRegistry:
    return FakeRegistry(auth="bearer", **kw)  # type: ignore[arg-type]

