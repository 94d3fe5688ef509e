"""HTTP against a Debian mirror, with httpx errors turned into StackError here and nowhere else."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from builder.errors import StackError

_MIRROR_HINT = "check --mirror, your network and proxy settings"


def join(mirror: str, path: str) -> str:
    """`mirror` + `path` with exactly one slash between them."""
    return mirror.rstrip("/") + "/" + path.lstrip("/")


def get(client: httpx.Client, url: str, what: str) -> bytes:
    """The whole body of `url`; `what` names it in error messages ("the InRelease of trixie")."""
    with stream(client, url, what) as response:
        return response.read()


@contextmanager
def stream(client: httpx.Client, url: str, what: str) -> Iterator[httpx.Response]:
    """An open, successful streaming response; any failure becomes one StackError."""
    try:
        with client.stream("GET", url, follow_redirects=True) as response:
            if response.status_code == 404:
                raise StackError(f"{what} is not on the mirror ({url} answered 404)", _MIRROR_HINT)
            if response.status_code >= 400:
                raise StackError(f"the mirror answered {response.status_code} for {url}", _MIRROR_HINT)
            yield response
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        raise StackError(f"could not download {what} from {url}: {exc or type(exc).__name__}", _MIRROR_HINT) from exc
