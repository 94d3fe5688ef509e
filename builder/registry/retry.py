"""When, and how long to wait before, a registry request is tried again.

`RetryPolicy` is a pure value: it answers "is this worth repeating?" for a
status code or an exception and "how long to wait?" for an attempt number, so
it is tested without a network or a clock. `retrying` is the one loop that
applies it; an attempt asks for another go by raising `TryAgain`.
"""

from __future__ import annotations

import email.utils
import random
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import httpx

T = TypeVar("T")

# 501 Not Implemented and 505 HTTP Version Not Supported never get better by waiting.
_PERMANENT_5XX = frozenset({501, 505})


class TryAgain(Exception):
    """Raised by one attempt that may succeed if repeated.

    `error` is what the caller sees when attempts run out; `retry_after` is the
    server's Retry-After in seconds, when it sent one.

    `max_attempts` caps the whole loop lower than the policy does, for a
    failure worth one more try but not six (a registry's UNKNOWN error).
    `what` names the request for the retry notice ("the upload of blob …").
    """

    def __init__(self, error: Exception, retry_after: float | None = None, max_attempts: int | None = None,
                 what: str = "") -> None:
        super().__init__(str(error))
        self.error = error
        self.retry_after = retry_after
        self.max_attempts = max_attempts
        self.what = what


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded attempts with jittered exponential backoff, honouring Retry-After."""

    attempts: int = 6
    base_delay: float = 0.5
    max_delay: float = 20.0
    max_retry_after: float = 60.0
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False, repr=False)
    rand: Callable[[], float] = field(default=random.random, compare=False, repr=False)
    # Told one line before each wait (see `retry_notice`), so a retry is never silent; None says nothing.
    notify: Callable[[str], None] | None = field(default=None, compare=False, repr=False)

    def retryable_status(self, status: int) -> bool:
        """408 Request Timeout, 429 Too Many Requests and transient 5xx."""
        return status in (408, 429) or (500 <= status < 600 and status not in _PERMANENT_5XX)

    def retryable_exception(self, exc: BaseException) -> bool:
        """Dropped, refused or timed-out connections; not TLS trust or our own protocol bugs."""
        if is_tls_failure(exc):
            return False
        return isinstance(exc, (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError))

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based).

        "Equal jitter": half the exponential step plus a random half, so waits
        never collapse to zero yet concurrent clients spread out.
        """
        if retry_after is not None:
            return max(0.0, min(retry_after, self.max_retry_after))
        step: float = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        return step / 2 + self.rand() * step / 2


def is_tls_failure(exc: BaseException) -> bool:
    """True when a connection failed because the server's certificate is not trusted."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY_FAILED" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Retry-After as seconds: either delta-seconds or an HTTP date; None when absent or garbled."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def retry_notice(again: TryAgain, number: int, limit: int, delay: float) -> str:
    """One line for failed attempt `number` of `limit`: what failed, why, and when the next try is.

    "retrying the upload of blob 82a5a5c07b95 in 1.4 s (attempt 2 of 6): cannot reach registry
    127.0.0.1:5934: [Errno 111] Connection refused"
    """
    what = f" {again.what}" if again.what else ""
    return f"retrying{what} in {delay:.1f} s (attempt {number + 1} of {limit}): {again.error}"


def retrying(policy: RetryPolicy, attempt: Callable[[], T]) -> T:
    """Run `attempt` until it returns, raising the last `TryAgain.error` when attempts run out.

    Before each wait, `policy.notify` (when set) gets `retry_notice`'s line.
    """
    for number in range(1, policy.attempts + 1):
        try:
            return attempt()
        except TryAgain as again:
            limit = min(policy.attempts, again.max_attempts or policy.attempts)
            if number >= limit:
                raise again.error from again.__cause__
            delay = policy.delay(number, again.retry_after)
            if policy.notify is not None:
                policy.notify(retry_notice(again, number, limit, delay))
            policy.sleep(delay)
    raise AssertionError("unreachable: attempts must be at least 1")
