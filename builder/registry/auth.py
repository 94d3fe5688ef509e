"""Registry authentication as an httpx Auth flow: anonymous, Basic and Bearer tokens.

The first 401 says how to authenticate (`WWW-Authenticate`). Basic: send the
user and password from then on. Bearer (Docker Hub, GHCR, token-auth
distribution): ask the realm for a token with our scopes — `pull` for a
source, `pull,push` for a destination, `pull` on each repository we mount
from — using Basic credentials, or the identity token as an OAuth2 refresh
token. Tokens are reused until shortly before `expires_in` runs out and
fetched again on a new 401. One `RegistryAuth` serves one host with one set
of scopes, so its single cached token is the cache per (host, scope).
Credentials go only to that host: an upload Location or a redirect on
another host (blob storage) never sees them.
"""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field

import httpx

from builder.errors import AuthError, RegistryError
from builder.registry.challenge import Challenge, parse_challenges, preferred
from builder.registry.client import send
from builder.registry.responses import credentials_required
from builder.registry.keychain import Credential
from builder.registry.retry import RetryPolicy

DEFAULT_EXPIRES_IN = 60  # the token spec's default and minimum lifetime
CLIENT_ID = "dockless"


@dataclass(frozen=True)
class Token:
    """A bearer token and when (on the monotonic clock) to stop using it."""

    value: str = field(repr=False)
    refresh_at: float

    def header(self) -> str:
        return f"Bearer {self.value}"


def basic_header(credential: Credential) -> str:
    raw = f"{credential.username}:{credential.password}".encode()
    return "Basic " + base64.b64encode(raw).decode()


class TokenSource:
    """Fetches bearer tokens from a token server (Docker token spec + its OAuth2 variant)."""

    def __init__(self, http: httpx.Client, credential: Credential, host: str, policy: RetryPolicy,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.http = http
        self.credential = credential
        self.host = host
        self.policy = policy
        self.clock = clock

    def fetch(self, challenge: Challenge, scopes: Sequence[str]) -> Token:
        realm = httpx.URL(challenge.realm) if challenge.realm else None
        if realm is None or realm.scheme not in ("http", "https") or not realm.host:
            raise RegistryError(f"{self.host} asked for a token but gave no usable realm",
                                "the registry's auth configuration looks broken")
        started = self.clock()
        response = None
        if self.credential.identity_token:
            response = self._send(self._refresh_request(realm, challenge, scopes))
            if response.status_code in (404, 405) and self.credential.has_password:
                response = None  # no OAuth2 endpoint: fall back to the plain GET
        if response is None:
            response = self._send(self._get_request(realm, challenge, scopes))
        return self._parse(response, started)

    def _refresh_request(self, realm: httpx.URL, challenge: Challenge, scopes: Sequence[str]) -> httpx.Request:
        form = {"grant_type": "refresh_token", "refresh_token": self.credential.identity_token,
                "client_id": CLIENT_ID, "access_type": "offline"}
        if challenge.service:
            form["service"] = challenge.service
        if scopes:
            form["scope"] = " ".join(scopes)
        return self.http.build_request("POST", realm, data=form)

    def _get_request(self, realm: httpx.URL, challenge: Challenge, scopes: Sequence[str]) -> httpx.Request:
        params: list[tuple[str, str]] = []
        if challenge.service:
            params.append(("service", challenge.service))
        params += [("scope", s) for s in scopes]
        headers = {}
        if self.credential.has_password:
            params.append(("account", self.credential.username))
            headers["Authorization"] = basic_header(self.credential)
        return self.http.build_request("GET", realm.copy_merge_params(tuple(params)), headers=headers)

    def _send(self, request: httpx.Request) -> httpx.Response:
        return send(self.http, request, self.policy, host=request.url.host, what="a token request")

    def _parse(self, response: httpx.Response, started: float) -> Token:
        if response.status_code in (401, 403):
            if self.credential.anonymous:
                raise credentials_required(self.host, "", self.credential.missing_helper,
                                           status=response.status_code)
            raise AuthError(f"registry refused the credentials for {self.host}",
                            f"check the user name and password for {self.host} ('docker login {self.host}' "
                            "or $DOCKER_CONFIG/config.json)", status=response.status_code)
        if response.status_code != 200:
            raise RegistryError(f"the token server for {self.host} answered {response.status_code}",
                                "try again later; if it persists the registry's auth is failing",
                                status=response.status_code)
        try:
            doc = response.json()
            value = doc.get("token") or doc.get("access_token")
            expires_in = int(doc.get("expires_in") or DEFAULT_EXPIRES_IN)
        except (ValueError, AttributeError, TypeError):
            value, expires_in = None, 0
        if not isinstance(value, str) or not value:
            raise RegistryError(f"the token server for {self.host} sent no token",
                                "the registry's auth configuration looks broken")
        lifetime = max(expires_in, DEFAULT_EXPIRES_IN)
        # Refresh a little early so a long upload never starts with a token about to lapse.
        return Token(value, started + lifetime - min(10.0, lifetime / 10))


class RegistryAuth(httpx.Auth):
    """The httpx Auth flow for one registry host and one set of scopes (thread-safe)."""

    def __init__(self, credential: Credential, scopes: Sequence[str], tokens: TokenSource,
                 clock: Callable[[], float] = time.monotonic, *, origin: str | None = None) -> None:
        self.credential = credential
        self.origin = httpx.URL(origin).netloc if origin else None  # None: any host (tests)
        self.scopes = tuple(scopes)
        self.tokens = tokens
        self.clock = clock
        self._lock = threading.Lock()
        self._basic = False
        self._challenge: Challenge | None = None
        self._token: Token | None = None

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if self.origin is not None and request.url.netloc != self.origin:
            yield request  # not the registry: no credentials, no challenge handling
            return
        sent = self._current()
        if sent is not None:
            request.headers["Authorization"] = sent
        response = yield request
        if response.status_code != 401:
            return
        fresh = self._answer(preferred(parse_challenges(response.headers.get_list("www-authenticate"))), sent)
        if fresh is None or fresh == sent:
            return  # nothing new to try: the caller turns the 401 into an AuthError
        request.headers["Authorization"] = fresh
        yield request

    def _current(self) -> str | None:
        """The header to send up front: Basic once learnt, else a live token (refreshed if due)."""
        with self._lock:
            if self._basic:
                return basic_header(self.credential)
            if self._challenge is None:
                return None
            if self._token is None or self.clock() >= self._token.refresh_at:
                self._token = self.tokens.fetch(self._challenge, self.scopes)
            return self._token.header()

    def _answer(self, challenge: Challenge | None, sent: str | None) -> str | None:
        """React to a 401: the header to retry with, or None to give up."""
        if challenge is None:
            return None
        with self._lock:
            if challenge.scheme == "basic":
                if not self.credential.has_password:
                    return None
                self._basic = True
                return basic_header(self.credential)
            token = self._token
            if token is not None and token.header() != sent and self.clock() < token.refresh_at:
                return token.header()  # another thread refreshed it meanwhile
            if challenge.scope and challenge.scope not in self.scopes:
                self.scopes += (challenge.scope,)
            self._challenge = challenge
            self._token = self.tokens.fetch(challenge, self.scopes)
            return self._token.header()
