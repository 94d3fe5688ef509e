"""Which detectors and buildpacks exist: the one place builder/ names them.

Order matters: detection runs in this order and the first pass wins, as a
CNB builder's order.toml does. Entries are "module:Class" strings so
importing the lifecycle imports no buildpack until it is needed.
"""

from __future__ import annotations

import importlib
from typing import Any

from builder.lifecycle.contract import Buildpack, Detector

DETECTORS: tuple[str, ...] = (
    "detectors.nodejs:NodeDetector",
)

BUILDPACKS: dict[str, str] = {
    "nodejs": "buildpacks.nodejs:NodeBuildpack",
}


def _load(spec: str) -> Any:
    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(module), name)()


def detectors() -> list[Detector]:
    return [_load(spec) for spec in DETECTORS]


def buildpack(buildpack_id: str) -> Buildpack:
    return _load(BUILDPACKS[buildpack_id])  # type: ignore[no-any-return]
