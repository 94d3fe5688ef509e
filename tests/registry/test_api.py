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
