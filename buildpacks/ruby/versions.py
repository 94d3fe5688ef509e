"""Which Ruby the stack offers, and whether a request (`3.3.4`, `~> 3.3`, `>= 3.1, < 4`) accepts it.

The runtime comes from Debian's packages, so the choice is a Debian suite's
Ruby series, not an exact patch release (Paketo's and Heroku's buildpacks ship
exact releases; Debian ships one series per suite with security patches). An
exact request `3.3.4` is therefore read as "the 3.3 series". When the build's
suite does not have the series asked for but another suite of the stack does
(Ruby 3.1 is bookworm's), the build moves there (`Packages.use_suite`); a
request no suite satisfies is one line that lists what Debian offers.
"""

from __future__ import annotations

import re

from builder.errors import BuildError, UsageError
from detectors.ruby import CONSTRAINT as _CONSTRAINT

STACK_SUITE = "trixie"  # the stack dockless builds on (builder.stack's default suite)
OFFERED = {"bookworm": "3.1", "trixie": "3.3"}  # Debian suite -> its Ruby series (rubyX.Y packages)


def _tuple(version: str, size: int = 3) -> tuple[int, ...]:
    parts = [int(p) for p in re.findall(r"\d+", version)[:size]]
    return tuple(parts + [0] * (size - len(parts)))


def _accepts(constraint: str, candidate: tuple[int, ...]) -> bool:
    """One RubyGems requirement (Gem::Requirement's operators) against `candidate`; `=`/bare compares
    only as many parts as the Debian series can promise (major.minor)."""
    match = _CONSTRAINT.match(constraint)
    if not match:  # the detector refuses these first (detectors.ruby.check_request): the same kind, exit 2
        raise UsageError(f"the Ruby version '{constraint}' is not a version or a RubyGems requirement",
                         "write e.g. 3.3.4 or '~> 3.3' (Gemfile), or fix .ruby-version")
    op, raw = match.group(1) or "=", match.group(2)
    wanted = _tuple(raw)
    if op in ("=", "!="):
        size = min(len(raw.split(".")), 2)
        same = candidate[:size] == wanted[:size]
        return same if op == "=" else not same
    if op == "~>":
        parts = [int(p) for p in raw.split(".")]
        upper = parts[:-1] if len(parts) > 1 else parts
        upper = upper[:-1] + [upper[-1] + 1]
        return candidate >= wanted and candidate < _tuple(".".join(map(str, upper)))
    return {">": candidate > wanted, ">=": candidate >= wanted,
            "<": candidate < wanted, "<=": candidate <= wanted}[op]


def series_accepts(series: str, request: str) -> bool:
    """Whether some release of `series` (e.g. "3.3": 3.3.0 … 3.3.99) meets every constraint of `request`."""
    major, minor = _tuple(series, 2)
    constraints = [c for c in request.split(",") if c.strip()]
    return any(all(_accepts(c, (major, minor, patch)) for c in constraints) for patch in range(100))


def check_exact(request: str, source: str, actual: str, suite: str = STACK_SUITE) -> None:
    """Bundler enforces the Gemfile's `ruby` directive against the running Ruby, patch included
    (`ruby "3.3.4"` fails on 3.3.8 with "Your Ruby version is …"): say so in one line before installing."""
    for constraint in request.split(","):
        match = _CONSTRAINT.match(constraint)
        if match and (match.group(1) or "=") == "=" and len(match.group(2).split(".")) >= 3 \
                and _tuple(match.group(2)) != _tuple(actual):
            series = ".".join(actual.split(".")[:2])
            raise BuildError(f"the Gemfile asks for Ruby {match.group(2)} exactly ({source}), and Debian "
                             f"{suite} has Ruby {actual}: Bundler would refuse it",
                             f"write `ruby \"~> {series}\"` in the Gemfile (Debian ships one {series} release, "
                             "with security fixes)")


def pick_series(request: str, source: str, suite: str = STACK_SUITE) -> str:
    """The suite's Ruby series when `request` ("" = any) accepts it; else BuildError (exit 5) listing the offer."""
    series = OFFERED[suite]
    if not request or series_accepts(series, request):
        return series
    raise BuildError(f"Ruby '{request}' ({source}) is not offered by Debian: "
                     + ", ".join(f"{s} has Ruby {v}" for s, v in OFFERED.items()),
                     f"ask for one of those (e.g. `ruby \"~> {series}\"` in the Gemfile) and update Gemfile.lock")


def other_suite(request: str, suite: str) -> tuple[str, str] | None:
    """(suite, series) of another Debian suite whose Ruby series `request` accepts, None when there is none."""
    return next(((s, v) for s, v in OFFERED.items() if s != suite and request and series_accepts(v, request)), None)
