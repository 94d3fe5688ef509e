"""Which detectors and buildpacks exist: the one place builder/ names them.

Order matters: detection runs in this order and the first pass wins, as a
CNB builder's order.toml does. Entries are "module:Class" strings so
importing the lifecycle imports no buildpack until it is needed.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from builder.lifecycle.contract import Buildpack, Detector

DETECTORS: tuple[str, ...] = (
    "detectors.nodejs:NodeDetector",
)

BUILDPACKS: dict[str, str] = {
    "nodejs": "buildpacks.nodejs:NodeBuildpack",
}


def _class(spec: str) -> Any:
    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(module), name)


def detectors() -> list[Detector]:
    return [_class(spec)() for spec in DETECTORS]


def buildpack(buildpack_id: str, host_env: Mapping[str, str]) -> Buildpack:
    """The buildpack, configured from the host environment when it wants that (registries, CAs)."""
    cls = _class(BUILDPACKS[buildpack_id])
    from_environ = getattr(cls, "from_environ", None)
    return from_environ(host_env) if from_environ else cls()  # type: ignore[no-any-return]
