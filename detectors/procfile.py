"""The Procfile detector (being written: issue 9)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from builder.lifecycle.contract import Detection


class ProcfileDetector:
    """Not written yet: always fails detection, so the order skips it."""

    id: str = "procfile"

    def detect(self, workspace: Path, env: Mapping[str, str], app_dir: str = "") -> Detection:
        return Detection(self.id, False, ("the procfile buildpack is not written yet",))
