"""Turn a registry's error response into one of dockless' typed errors.

The distribution spec puts `{"errors":[{"code":"MANIFEST_UNKNOWN","message":…}]}`
in error bodies; the codes go into `RegistryError.codes` so callers (and the
retry policy, via `.temporary`) can tell a rate limit from a bad manifest.
Messages name the host and repository, never a URL with its query (upload
URLs carry state) and never a header.
"""

from __future__ import annotations

import json

import httpx

from builder.errors import AuthError, DocklessError, NotFoundError, RegistryError, UnreachableError
from builder.reference import is_loopback_host
from builder.registry.retry import is_tls_failure


# The error codes of the OCI distribution spec ("Error Codes" table) plus
# distribution's own UNAVAILABLE (503) and UNKNOWN (500, "unknown error").
SPEC_CODES = frozenset({
    "BLOB_UNKNOWN", "BLOB_UPLOAD_INVALID", "BLOB_UPLOAD_UNKNOWN", "DIGEST_INVALID", "MANIFEST_BLOB_UNKNOWN",
    "MANIFEST_INVALID", "MANIFEST_UNKNOWN", "NAME_INVALID", "NAME_UNKNOWN", "SIZE_INVALID", "UNAUTHORIZED",
    "DENIED", "UNSUPPORTED", "TOOMANYREQUESTS",
})
TRANSIENT_CODES = frozenset({"TOOMANYREQUESTS", "UNAVAILABLE"})
UNKNOWN_RETRIES = 2  # attempts in all for a 5xx the registry calls UNKNOWN: one more try, not six


def error_codes(response: httpx.Response) -> tuple[tuple[str, ...], str]:
    """The distribution-spec error codes in a response body, and what they say, each distinct entry once.

    `{"errors":[{"code":"UNKNOWN","message":"unknown error","detail":{}},
    {"code":"MANIFEST_BLOB_UNKNOWN","message":"blob unknown to registry","detail":"sha256:…"}]}`
    gives (("UNKNOWN", "MANIFEST_BLOB_UNKNOWN"),
    "UNKNOWN: unknown error; MANIFEST_BLOB_UNKNOWN: blob unknown to registry: sha256:…").
    A body that is not that JSON (an nginx HTML page) gives ((), "").
    """
    try:
        doc = response.json()
    except (ValueError, UnicodeDecodeError, httpx.ResponseNotRead):
        return (), ""
    errors = doc.get("errors") if isinstance(doc, dict) else None
    if not isinstance(errors, list):
        return (), ""
    codes = tuple(str(e.get("code")) for e in errors if isinstance(e, dict) and e.get("code"))
    parts: list[str] = []
    for e in errors:
        if isinstance(e, dict):
            text = ": ".join(t for t in (str(e.get("code") or ""), _message(e)) if t)
            if text and text not in parts:
                parts.append(text)
    return tuple(dict.fromkeys(codes)), "; ".join(parts)


def _message(error: dict[str, object]) -> str:
    """"message: detail" of one error entry; the detail only when it says something."""
    message = str(error.get("message") or "").strip()
    detail = error.get("detail")
    if isinstance(detail, (dict, list)):
        detail = json.dumps(detail, separators=(",", ":")) if detail else ""
    text = str(detail or "").strip()
    if text and text not in message:
        return f"{message}: {text}" if message else text
    return message


def retry_limit(status: int, codes: tuple[str, ...]) -> int | None:
    """How many attempts in all a retryable status deserves given the error codes its body carries.

    None: the policy's full count (no body, or a rate limit / UNAVAILABLE: the
    registry says it is temporary). 1: a spec error code (MANIFEST_INVALID,
    MANIFEST_BLOB_UNKNOWN, DENIED, …) is the registry's final word, whatever
    status it came with (distribution sends 500 for a manifest it refuses).
    UNKNOWN_RETRIES for anything else (distribution's UNKNOWN covers both a
    refused manifest and a storage hiccup).
    """
    if not codes or set(codes) & TRANSIENT_CODES:
        return None
    if set(codes) & SPEC_CODES:
        return 1
    return UNKNOWN_RETRIES


def _detail(codes: tuple[str, ...], message: str) -> str:
    """" (CODE: message; CODE: message)" — the registry's own words — or "" when it sent none."""
    text = message or ", ".join(codes)
    if not text:
        return ""
    return f" ({text if len(text) <= 400 else text[:397] + '...'})"


def credentials_required(host: str, what: str, missing_helper: str = "", *, status: int = 401,
                         codes: tuple[str, ...] = ()) -> AuthError:
    """The 401 to anonymous requests: "log in", or, when config.json's credsStore names a helper that is
    not installed (`missing_helper`), that helper by name, as a missing credHelpers entry is."""
    what = f" for {what}" if what else ""
    if missing_helper:
        return AuthError(f"{host} requires credentials{what}, and the credential helper {missing_helper} "
                         "that credsStore names in the docker config is not installed",
                         f"install {missing_helper}, or remove credsStore from config.json and run "
                         f"'docker login {host}'", status=status, codes=codes)
    return AuthError(f"{host} requires credentials{what}",
                     f"log in with 'docker login {host}', or set DOCKER_CONFIG to a directory "
                     "whose config.json holds them", status=status, codes=codes)


def status_error(response: httpx.Response, *, host: str, what: str, repository: str = "",
                 anonymous: bool = False, reading: bool = False, missing_helper: str = "") -> DocklessError:
    """The error for a response the caller did not expect (`what` names the object)."""
    status = response.status_code
    codes, message = error_codes(response)
    detail = _detail(codes, message)
    if status == 401:
        if anonymous:
            return credentials_required(host, repository or what, missing_helper, status=status, codes=codes)
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
    if status == 413:
        hint = "the registry, or a proxy in front of it, limits the request size (e.g. nginx client_max_body_size)"
    elif (status in (408, 429) or status >= 500) and retry_limit(status, codes) is None:
        hint = "the registry is overloaded, rate-limiting or failing; try again later"
    elif status >= 500:
        hint = "the registry gave this reason; it is unlikely to change on retry, so check the image and the registry's configuration and logs"
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
    hint = None
    if is_loopback_host(host):  # plain HTTP already (connect.uses_plain_http): --insecure-registry cannot help
        hint = f"nothing answered on {host}: check that the registry is running and the port is right"
    return UnreachableError(f"cannot reach registry {host}: {reason[:200]}", hint)
