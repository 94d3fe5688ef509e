"""Turn a registry's error response into one of dockless' typed errors.

The distribution spec puts `{"errors":[{"code":"MANIFEST_UNKNOWN","message":…}]}`
in error bodies; the codes go into `RegistryError.codes` so callers (and the
retry policy, via `.temporary`) can tell a rate limit from a bad manifest.
Messages name the host and repository, never a URL with its query (upload
URLs carry state) and never a header.
"""

from __future__ import annotations

import httpx

from builder.errors import AuthError, DocklessError, NotFoundError, RegistryError, UnreachableError
from builder.registry.retry import is_tls_failure


def error_codes(response: httpx.Response) -> tuple[tuple[str, ...], str]:
    """The distribution-spec error codes in a response body, and the first message."""
    try:
        doc = response.json()
    except (ValueError, UnicodeDecodeError, httpx.ResponseNotRead):
        return (), ""
    errors = doc.get("errors") if isinstance(doc, dict) else None
    if not isinstance(errors, list):
        return (), ""
    codes = tuple(str(e.get("code")) for e in errors if isinstance(e, dict) and e.get("code"))
    messages = [str(e.get("message")) for e in errors if isinstance(e, dict) and e.get("message")]
    return codes, (messages[0] if messages else "")


def _detail(codes: tuple[str, ...], message: str) -> str:
    if not codes and not message:
        return ""
    text = ", ".join(codes)
    if message:
        text = f"{text}: {message}" if text else message
    return f" ({text[:300]})"


def status_error(response: httpx.Response, *, host: str, what: str, repository: str = "",
                 anonymous: bool = False, reading: bool = False) -> DocklessError:
    """The error for a response the caller did not expect (`what` names the object)."""
    status = response.status_code
    codes, message = error_codes(response)
    detail = _detail(codes, message)
    if status == 401:
        if anonymous:
            return AuthError(f"{host} requires credentials for {repository or what}",
                             f"log in with 'docker login {host}', or set DOCKER_CONFIG to a directory "
                             "whose config.json holds them", status=status, codes=codes)
        return AuthError(f"registry refused the credentials for {host}",
                         f"check the user name and password for {host} ('docker login {host}' "
                         "or $DOCKER_CONFIG/config.json)", status=status, codes=codes)
    if status == 403:
        return AuthError(f"{host} denied access to {repository or what}{detail}",
                         "check that this account may pull from / push to that repository",
                         status=status, codes=codes)
    if status == 404 and reading:
        return NotFoundError(f"{what} was not found on {host}{detail}")
    hint = None
    if status in (408, 429) or status >= 500:
        hint = "the registry is overloaded, rate-limiting or failing; try again later"
    reason = response.reason_phrase or "error"
    return RegistryError(f"{host} answered {status} {reason} to {what}{detail}", hint,
                         status=status, codes=codes)


def unreachable(host: str, exc: BaseException) -> UnreachableError:
    """A connection-level failure, with a hint that fits TLS trust problems."""
    if is_tls_failure(exc):
        return UnreachableError(f"the TLS certificate of {host} is not trusted",
                                "add its CA to the system bundle or SSL_CERT_FILE, "
                                f"or use --insecure-registry {host} for plain HTTP")
    kinds: dict[type[BaseException], str] = {
        httpx.ConnectTimeout: "connection timed out",
        httpx.ReadTimeout: "no answer in time",
        httpx.WriteTimeout: "sending timed out",
        httpx.PoolTimeout: "no free connection in time",
        httpx.RemoteProtocolError: "the connection was dropped",
    }
    reason = kinds.get(type(exc)) or (str(exc).strip() or exc.__class__.__name__)
    return UnreachableError(f"cannot reach registry {host}: {reason[:200]}")
