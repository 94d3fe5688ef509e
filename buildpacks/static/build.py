"""The Static buildpack (being written: issue 9)."""

from __future__ import annotations

from dataclasses import dataclass

from builder.errors import BuildError
from builder.lifecycle.contract import BuildContext, BuildResult


@dataclass(frozen=True)
class StaticBuildpack:
    id: str = "static"

    def build(self, ctx: BuildContext) -> BuildResult:
        raise BuildError("the static buildpack is not written yet", "")
