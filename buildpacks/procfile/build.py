"""The Procfile buildpack (being written: issue 9)."""

from __future__ import annotations

from dataclasses import dataclass

from builder.errors import BuildError
from builder.lifecycle.contract import BuildContext, BuildResult


@dataclass(frozen=True)
class ProcfileBuildpack:
    id: str = "procfile"

    def build(self, ctx: BuildContext) -> BuildResult:
        raise BuildError("the procfile buildpack is not written yet", "")
