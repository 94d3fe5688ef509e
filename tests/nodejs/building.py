"""Run the Node.js buildpack on a directory the way the lifecycle does: production executor, real registry.

The executor is the production host executor (`builder.sandbox.select_executor`,
mode "host"), so what the tests see is what `dockless build` does without the
sandbox; `Built.log` is the normal build log, `Built.output` the commands'
output (what --verbose shows).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from builder.lifecycle.contract import BuildContext, BuildpackPlan, BuildResult
from builder.lifecycle.layercache import DirLayerCache
from builder.sandbox import select_executor
from buildpacks.nodejs import NodeBuildpack
from detectors.nodejs import NodeDetector


@dataclass
class Built:
    result: BuildResult | None = None
    log: list[str] = field(default_factory=list)
    output: list[str] = field(default_factory=list)

    def layer(self, name: str) -> Path:
        assert self.result is not None
        return next(item.path for item in self.result.layers if item.name == name)


def make_app(root: Path, files: dict[str, Any]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content if isinstance(content, str) else json.dumps(content, indent=2))
    return root


def build_app(app: Path, buildpack: NodeBuildpack, cache: DirLayerCache, downloads: Path,
              env: dict[str, str] | None = None, built: Built | None = None) -> Built:
    """Detect and build `app`; `built` (optional) collects the logs even when the build raises."""
    built = built if built is not None else Built()
    detection = NodeDetector().detect(app, env or {})
    assert detection.passed, detection.reasons
    executor = select_executor(None, app, env=os.environ, mode="host", log=built.output.append)
    layers = app.parent / f"{app.name}-layers"
    layers.mkdir(exist_ok=True)
    ctx = BuildContext(app, layers, BuildpackPlan(detection.requires), env or {}, executor, cache, downloads,
                       log=built.log.append)
    built.result = buildpack.build(ctx)
    return built
