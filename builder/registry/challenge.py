"""Parse `WWW-Authenticate` headers (RFC 9110 §11.6.1) into challenges.

Registries answer 401 with `Basic realm="…"` (htpasswd) or `Bearer
realm="…",service="…",scope="repository:x:pull,push"` (token auth). Scopes
hold commas, so splitting on commas is wrong: this is a small real parser
for `scheme param=value|"quoted, value"` lists, several challenges per header.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

_SEPARATORS = ' \t,="'


@dataclass(frozen=True)
class Challenge:
    """One auth scheme the server offers, with its parameters (names lower-cased)."""

    scheme: str
    params: Mapping[str, str] = field(default_factory=dict)

    @property
    def realm(self) -> str:
        return self.params.get("realm", "")

    @property
    def service(self) -> str:
        return self.params.get("service", "")

    @property
    def scope(self) -> str:
        return self.params.get("scope", "")

    @property
    def error(self) -> str:
        """E.g. `invalid_token` or `insufficient_scope` (RFC 6750), when the server says."""
        return self.params.get("error", "")


def parse_challenges(headers: Iterable[str]) -> tuple[Challenge, ...]:
    """Every challenge in every `WWW-Authenticate` header value, in order."""
    out: list[Challenge] = []
    for header in headers:
        out.extend(_Parser(header).challenges())
    return tuple(out)


def preferred(challenges: Iterable[Challenge]) -> Challenge | None:
    """Bearer over Basic (a token limits what a leaked header can do); None if neither."""
    by_scheme = {c.scheme: c for c in reversed(tuple(challenges))}
    return by_scheme.get("bearer") or by_scheme.get("basic")


class _Parser:
    """A cursor over one header value."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def challenges(self) -> list[Challenge]:
        found: list[Challenge] = []
        while True:
            self._skip(" \t,")
            scheme = self._token()
            if not scheme:
                if self.pos >= len(self.text):
                    return found
                self.pos += 1  # stray character: skip it rather than loop forever
                continue
            found.append(Challenge(scheme.lower(), self._params()))

    def _params(self) -> dict[str, str]:
        params: dict[str, str] = {}
        while True:
            self._skip(" \t")
            start = self.pos
            name = self._token()
            self._skip(" \t")
            if not name or not self._peek("="):
                self.pos = start  # a new challenge's scheme, or the end
                return params
            self.pos += 1
            self._skip(" \t")
            params[name.lower()] = self._quoted() if self._peek('"') else self._token()
            self._skip(" \t")
            if self._peek(","):
                self.pos += 1
                self._skip(" \t,")

    def _token(self) -> str:
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] not in _SEPARATORS:
            self.pos += 1
        return self.text[start:self.pos]

    def _quoted(self) -> str:
        self.pos += 1  # opening quote
        chars: list[str] = []
        while self.pos < len(self.text):
            c = self.text[self.pos]
            self.pos += 1
            if c == "\\" and self.pos < len(self.text):
                chars.append(self.text[self.pos])
                self.pos += 1
            elif c == '"':
                break
            else:
                chars.append(c)
        return "".join(chars)

    def _skip(self, chars: str) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in chars:
            self.pos += 1

    def _peek(self, char: str) -> bool:
        return self.text.startswith(char, self.pos)
