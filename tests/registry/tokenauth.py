"""A real distribution 2.8 with token auth, and the token server it trusts.

Docker Hub and GHCR are unreachable here, but their protocol is distribution's
`auth.token`: the registry answers 401 `Bearer realm,service,scope`, the client
gets a JWT from the realm, and the registry checks its signature against
`rootcertbundle`. This module issues such JWTs (RS256, signed by the `openssl`
CLI, certificate in the `x5c` header) for Basic credentials or an OAuth2
refresh token (the identity token `docker login` stores), and records every
token request so tests can count them and read their scopes.
"""

from __future__ import annotations

import base64
import json
import secrets
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from tests.infra.procs import BackgroundProcess, require_tool, run, start_on_free_port
from tests.infra.registry import HttpResponse, http_request

SERVICE = "dockless-token-registry"
ISSUER = "dockless-test-issuer"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass(frozen=True)
class TokenRequest:
    method: str
    scopes: tuple[str, ...]
    account: str | None  # who authenticated (None: anonymous)
    grant: str  # "basic", "refresh_token" or "anonymous"


@dataclass
class TokenIssuer:
    """Signs access tokens with a throwaway self-signed RSA certificate."""

    workdir: Path
    key: Path = field(init=False)
    cert: Path = field(init=False)
    x5c: str = field(init=False)

    def __post_init__(self) -> None:
        require_tool("openssl")
        self.key, self.cert = self.workdir / "token.key", self.workdir / "token.crt"
        run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", self.key,
             "-out", self.cert, "-days", "2", "-subj", "/CN=dockless-test-token-issuer"])
        der = run(["openssl", "x509", "-in", self.cert, "-outform", "DER"]).stdout
        self.x5c = base64.b64encode(der).decode()

    def sign(self, subject: str, access: list[dict[str, object]], lifetime: int = 300,
             audience: str = SERVICE) -> str:
        now = int(time.time())
        header = {"typ": "JWT", "alg": "RS256", "x5c": [self.x5c]}
        claims = {"iss": ISSUER, "sub": subject, "aud": audience, "exp": now + lifetime, "nbf": now - 10,
                  "iat": now, "jti": secrets.token_hex(8), "access": access}
        signing_input = f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}"
        signature = run(["openssl", "dgst", "-sha256", "-sign", self.key], input=signing_input.encode()).stdout
        return f"{signing_input}.{_b64url(signature)}"


def grant(scopes: list[str], authenticated: bool) -> list[dict[str, object]]:
    """Everything asked for when authenticated; only `pull` for anonymous clients."""
    access: list[dict[str, object]] = []
    for scope in scopes:
        parts = scope.split(":")
        if len(parts) != 3 or parts[0] != "repository":
            continue
        actions = [a for a in parts[2].split(",") if authenticated or a == "pull"]
        access.append({"type": "repository", "name": parts[1], "actions": actions})
    return access


class TokenServer:
    """GET /token (Basic or anonymous) and POST /token (grant_type=refresh_token).

    It listens on `address` (default: a free loopback port), over TLS when
    `ssl_context` is given, and signs tokens for the registry `service`.
    """

    def __init__(self, issuer: TokenIssuer, users: dict[str, str], refresh_tokens: dict[str, str], *,
                 address: tuple[str, int] = ("127.0.0.1", 0), ssl_context: ssl.SSLContext | None = None,
                 service: str = SERVICE) -> None:
        self.issuer = issuer
        self.service = service
        self.users = users
        self.refresh_tokens = refresh_tokens
        self._lock = threading.Lock()
        self.requests: list[TokenRequest] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

            def do_GET(self) -> None:  # noqa: N802
                query = parse_qs(urlsplit(self.path).query)
                scopes = query.get("scope", [])
                account = None
                header = self.headers.get("Authorization", "")
                if header.startswith("Basic "):
                    user, _, password = base64.b64decode(header[6:]).decode().partition(":")
                    if server.users.get(user) != password:
                        return self._send(401, {"details": "incorrect username or password"})
                    account = user
                server._record(TokenRequest("GET", tuple(scopes), account, "basic" if account else "anonymous"))
                self._token(account, scopes)

            def do_POST(self) -> None:  # noqa: N802
                form = parse_qs(self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode())
                if form.get("grant_type") != ["refresh_token"]:
                    return self._send(400, {"error": "unsupported_grant_type"})
                account = server.refresh_tokens.get(form.get("refresh_token", [""])[0])
                if account is None:
                    return self._send(401, {"error": "invalid_grant"})
                scopes = form.get("scope", [""])[0].split()
                server._record(TokenRequest("POST", tuple(scopes), account, "refresh_token"))
                self._token(account, scopes)

            def _token(self, account: str | None, scopes: list[str]) -> None:
                token = server.issuer.sign(account or "", grant(scopes, account is not None), audience=server.service)
                self._send(200, {"token": token, "access_token": token, "expires_in": 300})

            def _send(self, status: int, doc: dict[str, object]) -> None:
                body = json.dumps(doc).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self._server = ThreadingHTTPServer(address, Handler)
        self._server.daemon_threads = True
        if ssl_context is not None:
            self._server.socket = ssl_context.wrap_socket(self._server.socket, server_side=True)
        scheme = "https" if ssl_context is not None else "http"
        self.url = f"{scheme}://{address[0]}:{self._server.server_address[1]}/token"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def _record(self, request: TokenRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@dataclass(frozen=True)
class TokenRegistry:
    """A token-auth registry: its host, valid credentials, and a way to look inside it."""

    host: str
    username: str
    password: str
    identity_token: str
    tokens: TokenServer

    def request(self, method: str, path: str, scope: str, headers: dict[str, str] | None = None) -> HttpResponse:
        """A raw request with a freshly minted all-powerful token (for assertions)."""
        parts = scope.split(":")
        token = self.tokens.issuer.sign("test", [{"type": parts[0], "name": parts[1],
                                                  "actions": parts[2].split(",")}])
        return http_request(f"http://{self.host}{path}", method,
                            headers={"Authorization": f"Bearer {token}", **(headers or {})})

    def manifest_digest(self, repo: str, tag: str) -> str | None:
        resp = self.request("HEAD", f"/v2/{repo}/manifests/{tag}", f"repository:{repo}:pull",
                            {"Accept": "application/vnd.oci.image.manifest.v1+json"})
        return None if resp.status == 404 else resp.headers["Docker-Content-Digest"]


_CONFIG = """\
version: 0.1
log:
  level: info
storage:
  filesystem:
    rootdirectory: {root}
http:
  addr: 127.0.0.1:{port}
  secret: dockless-token-test
auth:
  token:
    realm: {realm}
    service: {service}
    issuer: {issuer}
    rootcertbundle: {cert}
"""


def _answers_v2(port: int) -> bool:
    try:
        return http_request(f"http://127.0.0.1:{port}/v2/", timeout=2).status == 401
    except OSError:
        return False


@contextmanager
def running_token_registry(workdir: Path) -> Iterator[TokenRegistry]:
    """docker-registry with `auth.token` trusting a TokenServer on another loopback port."""
    binary = require_tool("docker-registry")
    password = secrets.token_urlsafe(12)
    identity = "refresh-" + secrets.token_hex(8)
    issuer = TokenIssuer(workdir)
    tokens = TokenServer(issuer, {"alice": password}, {identity: "alice"})
    tokens.start()
    root = workdir / "storage"
    root.mkdir(parents=True, exist_ok=True)

    def make(port: int) -> BackgroundProcess:
        config = workdir / "config.yml"
        config.write_text(_CONFIG.format(root=root, port=port, realm=tokens.url, service=SERVICE,
                                         issuer=ISSUER, cert=issuer.cert))
        return BackgroundProcess([binary, "serve", str(config)], workdir / "registry.log", cwd=workdir)

    try:
        server, port = start_on_free_port(make, name="docker-registry (token auth)", ready=_answers_v2)
        try:
            yield TokenRegistry(f"127.0.0.1:{port}", "alice", password, identity, tokens)
        finally:
            server.stop()
    finally:
        tokens.stop()

