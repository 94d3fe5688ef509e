"""The package's public surface, and that every httpx failure is translated at the boundary."""

from __future__ import annotations

import inspect

import httpx
import pytest

import builder.registry as registry
from builder.errors import DocklessError, UnreachableError
from builder.registry.responses import status_error, unreachable
from builder.registry.retry import RetryPolicy


def test_public_names_exist_and_say_why() -> None:
    assert {"read_registry", "write_registry"} <= set(registry.__all__)
    for name in registry.__all__:
        obj = getattr(registry, name)
        if inspect.isfunction(obj) or inspect.isclass(obj):
            assert inspect.getdoc(obj), f"{name} has no docstring"


def test_the_transport_contract() -> None:
    assert list(inspect.signature(registry.read_registry).parameters)[:2] == ["ref", "ctx"]
    assert list(inspect.signature(registry.write_registry).parameters)[:3] == ["image", "ref", "ctx"]


def _transport_errors() -> list[type[httpx.TransportError]]:
    found, todo = [], [httpx.TransportError]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return found


@pytest.mark.parametrize("cls", _transport_errors(), ids=lambda c: c.__name__)
def test_every_httpx_transport_error_becomes_an_unreachable_error(cls: type[httpx.TransportError]) -> None:
    exc = cls("boom")
    error = unreachable("reg.example", exc)
    assert isinstance(error, UnreachableError) and "reg.example" in error.message and error.hint
    RetryPolicy().retryable_exception(exc)  # decides without raising


@pytest.mark.parametrize("status", [400, 401, 403, 404, 405, 409, 416, 429, 500, 502, 503])
def test_every_error_status_becomes_a_typed_error(status: int) -> None:
    response = httpx.Response(status, content=b"<html>not json</html>",
                              request=httpx.Request("GET", "https://reg.example/v2/"))
    error = status_error(response, host="reg.example", what="manifest a:b", repository="a", reading=True)
    assert isinstance(error, DocklessError) and error.message and error.hint
    assert "https://" not in error.message  # no URLs (upload URLs carry state)


def _request_errors() -> list[type[Exception]]:
    found: list[type[Exception]] = [httpx.InvalidURL]
    todo: list[type[Exception]] = [httpx.RequestError]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return found


@pytest.mark.parametrize("cls", _request_errors(), ids=lambda c: c.__name__)
def test_every_httpx_request_error_is_translated_by_the_client(cls: type[Exception]) -> None:
    from builder.registry.client import RegistryClient

    def fail(request: httpx.Request) -> httpx.Response:
        raise cls("boom")

    client = RegistryClient("reg.example", "https://reg.example", httpx.Client(transport=httpx.MockTransport(fail)),
                            RetryPolicy(attempts=2, sleep=lambda s: None), anonymous=True)
    with pytest.raises(DocklessError):
        client.request("GET", client.url("/v2/"), what="the API check")


@pytest.mark.parametrize("location", ["ftp://x/y", "mailto:someone@example.com", "data:,hello"])
def test_unusable_upload_locations_are_registry_errors(location: str) -> None:
    from builder.errors import RegistryError
    from builder.registry.repository import resolve_location

    with pytest.raises(RegistryError, match="unusable upload location"):
        resolve_location("https://reg.example/v2/a/blobs/uploads/", location)


def test_a_missing_ca_bundle_is_a_usage_error(tmp_path: object) -> None:
    from builder.errors import UsageError
    from builder.registry import RegistryOptions

    with pytest.raises(UsageError, match="SSL_CERT_FILE"):
        RegistryOptions(ca_file="/nonexistent/ca.pem").ssl_context()
    assert RegistryOptions().ssl_context().cert_store_stats()["x509_ca"] > 0  # the system bundle
