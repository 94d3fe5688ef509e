"""Registry error bodies become one line with the registry's own words, and decide how often to retry."""

from __future__ import annotations

import httpx
import pytest

from builder.errors import RegistryError
from builder.registry.responses import UNKNOWN_RETRIES, error_codes, retry_limit, status_error
from builder.registry.retry import RetryPolicy, TryAgain, retrying

# What distribution 2.8 answers to a manifest naming a layer URL it does not allow (seen in the e2e test).
REFUSED_URL = {"errors": [
    {"code": "UNKNOWN", "message": "unknown error", "detail": {}},
    {"code": "UNKNOWN", "message": "unknown error", "detail": {}},
    {"code": "MANIFEST_BLOB_UNKNOWN", "message": "blob unknown to registry", "detail": "sha256:93e8"},
]}


def _response(status: int, body: object = None, text: str = "") -> httpx.Response:
    request = httpx.Request("PUT", "https://registry.test/v2/app/manifests/v1")
    if body is not None:
        return httpx.Response(status, json=body, request=request)
    return httpx.Response(status, text=text, request=request)


def test_every_distinct_error_is_shown_with_its_detail() -> None:
    codes, message = error_codes(_response(500, REFUSED_URL))
    assert codes == ("UNKNOWN", "MANIFEST_BLOB_UNKNOWN")
    assert message == "UNKNOWN: unknown error; MANIFEST_BLOB_UNKNOWN: blob unknown to registry: sha256:93e8"


def test_a_refused_manifest_is_one_line_without_overloaded() -> None:
    err = status_error(_response(500, REFUSED_URL), host="registry.test", what="manifest app:v1")
    assert isinstance(err, RegistryError) and err.status == 500
    assert "MANIFEST_BLOB_UNKNOWN: blob unknown to registry" in err.message and "\n" not in err.message
    assert "overloaded" not in err.hint


def test_an_html_413_hints_at_a_body_size_limit() -> None:
    err = status_error(_response(413, text="<html>413 Request Entity Too Large</html>"), host="registry.test",
                       what="the upload of blob x")
    assert "413" in err.message and "request size" in err.hint and "permission" not in err.hint


@pytest.mark.parametrize(("status", "codes", "limit"), [
    (500, (), None),                                  # no body: may well be an overloaded front
    (503, ("UNAVAILABLE",), None),                    # the registry says: temporary
    (429, ("TOOMANYREQUESTS",), None),
    (500, ("MANIFEST_INVALID",), 1),                  # a spec code is the registry's final word
    (500, ("UNKNOWN", "MANIFEST_BLOB_UNKNOWN"), 1),
    (500, ("UNKNOWN",), UNKNOWN_RETRIES),             # unknown: one more try, not six
    (502, ("VENDOR_SPECIFIC",), UNKNOWN_RETRIES),
])  # fmt: skip
def test_how_often_an_error_is_retried(status: int, codes: tuple[str, ...], limit: int | None) -> None:
    assert retry_limit(status, codes) == limit


def test_try_again_can_cap_the_attempts() -> None:
    calls = 0

    def attempt() -> str:
        nonlocal calls
        calls += 1
        raise TryAgain(RegistryError("refused", status=500), max_attempts=2)

    with pytest.raises(RegistryError, match="refused"):
        retrying(RetryPolicy(sleep=lambda _: None), attempt)
    assert calls == 2
