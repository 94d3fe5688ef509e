"""The retry policy is pure: statuses, exceptions, delays and Retry-After without a network."""

from __future__ import annotations

import email.utils
import ssl

import httpx
import pytest

from builder.errors import RegistryError
from builder.registry.retry import RetryPolicy, TryAgain, parse_retry_after, retrying


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504, 599])
def test_transient_statuses_are_retried(status: int) -> None:
    assert RetryPolicy().retryable_status(status)


@pytest.mark.parametrize("status", [200, 201, 202, 400, 401, 403, 404, 409, 501, 505])
def test_permanent_statuses_are_not(status: int) -> None:
    assert not RetryPolicy().retryable_status(status)


@pytest.mark.parametrize("exc", [
    httpx.ConnectError("refused"), httpx.ReadError("reset"), httpx.WriteError("broken pipe"),
    httpx.RemoteProtocolError("peer closed connection"), httpx.ConnectTimeout("t"),
    httpx.ReadTimeout("t"), httpx.PoolTimeout("t"),
])
def test_dropped_connections_are_retried(exc: Exception) -> None:
    assert RetryPolicy().retryable_exception(exc)


def test_untrusted_certificates_and_protocol_bugs_are_not() -> None:
    policy = RetryPolicy()
    tls = httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed")
    assert not policy.retryable_exception(tls)
    wrapped = httpx.ConnectError("x")
    wrapped.__cause__ = ssl.SSLCertVerificationError("nope")
    assert not policy.retryable_exception(wrapped)
    assert not policy.retryable_exception(httpx.LocalProtocolError("bad header"))
    assert not policy.retryable_exception(httpx.UnsupportedProtocol("ftp://"))
    assert not policy.retryable_exception(ValueError("ours"))


def test_backoff_grows_exponentially_with_jitter_and_is_capped() -> None:
    low = RetryPolicy(base_delay=1.0, max_delay=8.0, rand=lambda: 0.0)
    high = RetryPolicy(base_delay=1.0, max_delay=8.0, rand=lambda: 0.999999)
    assert [low.delay(n) for n in range(1, 6)] == [0.5, 1.0, 2.0, 4.0, 4.0]
    assert [round(high.delay(n), 3) for n in range(1, 6)] == [1.0, 2.0, 4.0, 8.0, 8.0]
    spread = {RetryPolicy(base_delay=1.0).delay(3) for _ in range(50)}
    assert len(spread) > 1 and all(2.0 <= d <= 4.0 for d in spread)


def test_retry_after_wins_and_is_capped() -> None:
    policy = RetryPolicy(base_delay=100.0, max_retry_after=30.0)
    assert policy.delay(1, retry_after=2.0) == 2.0
    assert policy.delay(1, retry_after=0.0) == 0.0
    assert policy.delay(1, retry_after=3600.0) == 30.0


def test_retry_after_parsing() -> None:
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(" 1.5 ") == 1.5
    assert parse_retry_after("-3") == 0.0
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None
    date = email.utils.formatdate(1_000_030.0, usegmt=True)
    assert parse_retry_after(date, now=1_000_000.0) == pytest.approx(30.0)


def test_retrying_sleeps_between_attempts_then_raises_the_last_error() -> None:
    slept: list[float] = []
    policy = RetryPolicy(attempts=4, base_delay=1.0, rand=lambda: 0.0, sleep=slept.append)
    calls = 0

    def attempt() -> str:
        nonlocal calls
        calls += 1
        raise TryAgain(RegistryError(f"failure {calls}", status=503), retry_after=9.0 if calls == 2 else None)

    with pytest.raises(RegistryError, match="failure 4"):
        retrying(policy, attempt)
    assert calls == 4
    assert slept == [0.5, 9.0, 2.0]


def test_retrying_returns_as_soon_as_an_attempt_succeeds() -> None:
    slept: list[float] = []
    outcomes = iter([TryAgain(RegistryError("once")), "ok"])

    def attempt() -> str:
        out = next(outcomes)
        if isinstance(out, Exception):
            raise out
        return out

    assert retrying(RetryPolicy(sleep=slept.append), attempt) == "ok"
    assert len(slept) == 1


def test_other_exceptions_are_not_retried() -> None:
    calls = 0

    def attempt() -> None:
        nonlocal calls
        calls += 1
        raise KeyError("bug")

    with pytest.raises(KeyError):
        retrying(RetryPolicy(sleep=lambda s: None), attempt)
    assert calls == 1
