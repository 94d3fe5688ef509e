"""DETECT: ask every detector about the workspace; the first pass wins."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from builder.errors import DetectionError
from builder.lifecycle.contract import Detection, Detector


@dataclass(frozen=True)
class DetectResult:
    """The chosen detection (None when nothing matched) and every answer, for reporting."""

    chosen: Detection | None
    results: tuple[Detection, ...]


def detect(workspace: Path, env: Mapping[str, str], detectors: Sequence[Detector]) -> DetectResult:
    results = tuple(d.detect(workspace, env) for d in detectors)
    chosen = next((r for r in results if r.passed), None)
    return DetectResult(chosen, results)


def require(result: DetectResult) -> Detection:
    """The chosen detection, or a DetectionError that says why each detector failed."""
    if result.chosen is not None:
        return result.chosen
    why = "; ".join(f"{r.detector}: {' '.join(r.reasons) or 'no match'}" for r in result.results)
    raise DetectionError(f"no buildpack matched the source ({why})",
                         "supported today: Node.js (package.json, server.js or index.js at the root); use --subdir for monorepos")
