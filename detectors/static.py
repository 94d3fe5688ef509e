"""The Static detector (being written: issue 9)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from builder.lifecycle.contract import Detection


class StaticDetector:
    """Not written yet: always fails detection, so the order skips it."""

    id: str = "static"

    def detect(self, workspace: Path, env: Mapping[str, str], app_dir: str = "") -> Detection:
        return Detection(self.id, False, ("the static buildpack is not written yet",))
