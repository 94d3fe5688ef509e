"""One registry host: base URL, an httpx.Client with auth, retries, error translation.

Every request goes through `send`, the single place where a dropped
connection or a 408/429/5xx becomes a retry and, once attempts run out, a
typed error. Streamed uploads cannot be replayed, so `send_once` reports
those outcomes as `TryAgain` and the upload restarts its whole session.
"""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from builder.errors import DocklessError, RegistryError
from builder.registry.responses import retry_limit, status_error, unreachable
from builder.registry.retry import RetryPolicy, TryAgain, parse_retry_after, retrying


def send(http: httpx.Client, request: httpx.Request, policy: RetryPolicy, *, host: str, what: str,
         stream: bool = False, follow_redirects: bool = False, anonymous: bool = False) -> httpx.Response:
    """Send a replayable request, retrying per `policy`; 4xx responses are returned, not raised."""

    def attempt() -> httpx.Response:
        return send_once(http, request, policy, host=host, what=what, stream=stream,
                         follow_redirects=follow_redirects, anonymous=anonymous)

    return retrying(policy, attempt)


def send_once(http: httpx.Client, request: httpx.Request, policy: RetryPolicy, *, host: str, what: str,
              stream: bool = False, follow_redirects: bool = False, anonymous: bool = False) -> httpx.Response:
    """One try: transient failures raise `TryAgain`, permanent ones a DocklessError."""
    try:
        response = http.send(request, stream=stream, follow_redirects=follow_redirects)
    except httpx.TransportError as e:
        error: DocklessError = unreachable(host, e)
        if policy.retryable_exception(e):
            raise TryAgain(error, what=what) from e
        raise error from e
    except (httpx.RequestError, httpx.InvalidURL) as e:  # too many redirects, undecodable body, …
        raise RegistryError(f"{host} sent an unusable answer to {what}: {e.__class__.__name__}",
                            "the registry or a proxy in front of it is misbehaving") from e
    if policy.retryable_status(response.status_code):
        try:
            response.read()
        except httpx.TransportError:
            pass
        finally:
            response.close()
        error = status_error(response, host=host, what=what, anonymous=anonymous)
        codes = error.codes if isinstance(error, RegistryError) else ()
        raise TryAgain(error, parse_retry_after(response.headers.get("retry-after")),
                       retry_limit(response.status_code, codes), what=what)
    return response


class RegistryClient:
    """The HTTP side of one registry host (thread-safe: httpx pools connections with locks)."""

    def __init__(self, host: str, base_url: str, http: httpx.Client, policy: RetryPolicy, *,
                 anonymous: bool, also_close: tuple[httpx.Client, ...] = (), missing_helper: str = "") -> None:
        self.host = host
        self.base_url = base_url.rstrip("/")
        self.http = http
        self.policy = policy
        self.anonymous = anonymous
        self.missing_helper = missing_helper  # Credential.missing_helper: named when a 401 comes
        self._also_close = also_close

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def request(self, method: str, url: str | httpx.URL, *, what: str, headers: Mapping[str, str] | None = None,
                content: bytes | None = None, stream: bool = False, follow_redirects: bool = False) -> httpx.Response:
        """A retried request with a replayable body."""
        req = self.http.build_request(method, url, headers=headers, content=content)
        return send(self.http, req, self.policy, host=self.host, what=what, stream=stream,
                    follow_redirects=follow_redirects, anonymous=self.anonymous)

    def send_once(self, request: httpx.Request, *, what: str) -> httpx.Response:
        """One try of a request whose body is a stream; transient failures raise `TryAgain`."""
        try:
            return send_once(self.http, request, self.policy, host=self.host, what=what,
                             anonymous=self.anonymous)
        except httpx.StreamConsumed as e:
            # The auth flow had to resend after a 401 (token expired mid-push): start over.
            raise TryAgain(RegistryError(f"{self.host} asked to re-authenticate during {what}"), what=what) from e

    def fail(self, response: httpx.Response, what: str, *, repository: str = "",
             reading: bool = False) -> DocklessError:
        """The typed error for an unexpected response."""
        return status_error(response, host=self.host, what=what, repository=repository,
                            anonymous=self.anonymous, reading=reading, missing_helper=self.missing_helper)

    def ping(self, repository: str) -> None:
        """GET /v2/: proves the host speaks the registry API and that our credentials work."""
        response = self.request("GET", self.url("/v2/"), what="the API check /v2/")
        if response.status_code == 200:
            return
        if response.status_code in (401, 403):
            raise self.fail(response, "/v2/", repository=repository)
        raise RegistryError(f"{self.host} does not answer like a registry (/v2/ gave {response.status_code})",
                            "check the host name and port of the image reference",
                            status=response.status_code)

    def close(self) -> None:
        """Release connections (the token client's too); openers made earlier stop working."""
        self.http.close()
        for other in self._also_close:
            other.close()
