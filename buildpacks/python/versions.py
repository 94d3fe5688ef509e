"""Which CPython series Debian offers, and whether a request (`3.13`, `>=3.11,<3.14`, `~=3.12`, `^3.11`) accepts one.

CPython comes from Debian's `python3.X` packages, one series per suite
(DESIGN.md's table): bookworm 3.11, trixie 3.13, forky 3.13 and 3.14. So the
choice is a series, not an exact patch release: a bare version (`3.13.1` in
.python-version, `python-3.11.9` in runtime.txt) means "that series", as
Ruby's buildpack reads `3.3.4`. Specifiers are PEP 440's (`==`, `!=`, `>=`,
`<=`, `>`, `<`, `~=`, `==3.12.*`), plus Poetry's `^` and `~`. A series is
accepted when some release 3.X.0 … 3.X.99 meets every clause.
"""

from __future__ import annotations

import re

from builder.errors import BuildError, UsageError

STACK_SUITE = "trixie"
OFFERED: dict[str, tuple[str, ...]] = {"trixie": ("3.13",), "bookworm": ("3.11",), "forky": ("3.14", "3.13")}
_CLAUSE = re.compile(r"^\s*(===|==|!=|~=|>=|<=|>|<|\^|~)?\s*v?(\d+(?:\.\d+)*)(\.\*)?\s*$")


def _tuple(raw: str, size: int = 3) -> tuple[int, ...]:
    parts = [int(p) for p in raw.split(".")[:size]]
    return tuple(parts + [0] * (size - len(parts)))


def _clause(clause: str, candidate: tuple[int, int, int]) -> bool:
    match = _CLAUSE.match(clause)
    if not match:
        raise BuildError(f"the Python version '{clause.strip()}' is not a version or a PEP 440 specifier",
                         "write e.g. 3.13 (.python-version) or '>=3.11' (requires-python)")
    op, raw, star = match.group(1), match.group(2), match.group(3)
    parts = [int(p) for p in raw.split(".")]
    if op is None or op in ("==", "===") or (op == "!=" and star):
        size = min(len(parts), 2)  # an exact patch release reads as its series: Debian ships one per series
        same = candidate[:size] == tuple(parts[:size])
        return not same if op == "!=" else same
    if op == "!=":
        return candidate != _tuple(raw)
    wanted = _tuple(raw)
    if op in ("~=", "~", "^"):
        if op == "^":
            upper = [parts[0] + 1] if parts[0] else [0, (parts + [0])[1] + 1]
        elif op == "~":
            upper = [parts[0], (parts + [0])[1] + 1] if len(parts) > 1 else [parts[0] + 1]
        else:
            upper = parts[:-1][:-1] + [parts[:-1][-1] + 1] if len(parts) > 1 else [parts[0] + 1]
        return wanted <= candidate < _tuple(".".join(map(str, upper)))
    return {">": candidate > wanted, ">=": candidate >= wanted,
            "<": candidate < wanted, "<=": candidate <= wanted}[op]


def series_accepts(series: str, request: str) -> bool:
    """Whether a release of `series` ("3.13") meets every comma-separated clause of `request` ("" accepts all)."""
    major, minor = _tuple(series, 2)
    alternatives = [a for a in request.split("||")] if "||" in request else [request]
    for alternative in alternatives:
        clauses = [c for c in re.split(r",|\s+(?=[<>=!~^])", alternative) if c.strip()]
        if any(all(_clause(c, (major, minor, patch)) for c in clauses) for patch in range(100)):
            return True
    return False


def choose(request: str, source: str, current: str, offered_elsewhere: dict[str, tuple[str, ...]]) -> tuple[str, str]:
    """(suite, series) for `request`: the current suite's newest accepted series, else another suite's.

    `offered_elsewhere` is OFFERED, or a narrower view of it. Raises BuildError
    (exit 5) listing every suite's CPython when none accepts the request, and
    UsageError (exit 2) naming `source` when the request is not a version.
    """
    try:
        series_accepts("3.13", request)
    except BuildError as exc:  # not a version at all: the file says something pip and uv would refuse too
        raise UsageError(f"{source}: {exc.message}", f"write a version such as 3.13 in {source}"
                         if source in (".python-version", "runtime.txt", "BP_CPYTHON_VERSION") else exc.hint) from None
    for series in OFFERED.get(current, ()):
        if series_accepts(series, request):
            return current, series
    for suite, serieses in offered_elsewhere.items():
        for series in serieses:
            if suite != current and series_accepts(series, request):
                return suite, series
    listing = ", ".join(f"{s} has {' and '.join(v)}" for s, v in OFFERED.items())
    raise BuildError(f"Python '{request}' ({source}) is not offered by Debian: {listing}",
                     "ask for one of those (e.g. 3.13 in .python-version, or requires-python = '>=3.11')")
