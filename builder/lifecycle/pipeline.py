"""SOURCE → DETECT → BUILD → EXPORT → PUBLISH, as one function with typed inputs.

The CLI builds a `BuildRequest` and the `Services` (how to run commands, how
to get the run image, where to log) and prints the `BuildReport`. Nothing
here reads the process environment or prints.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from builder.image.image import Image
from builder.image.tarball import DEFAULT_EPOCH, layer_epoch
from builder.lifecycle import registry
from builder.lifecycle.contract import BuildContext, Detection, Executor
from builder.lifecycle.detect import DetectResult, detect, require
from builder.lifecycle.export import ExportedLayer, Provenance, export
from builder.lifecycle.layercache import DirLayerCache
from builder.reference import Reference
from builder.source import NEVER_SHIP, SourceSpec, Workspace, fetch_source
from builder.transport import Context, Written, write_image


@dataclass(frozen=True)
class BuildRequest:
    source: SourceSpec
    image: Reference
    env: Mapping[str, str] = field(default_factory=dict)   # --env K=V, wins over project.toml
    source_date_epoch: str | None = None                  # from the environment, if set
    cache_root: Path = Path(".dockless-cache")
    host_env: Mapping[str, str] = field(default_factory=dict)  # npm registry, CA bundle: read once by the CLI


@dataclass(frozen=True)
class Services:
    """What the pipeline needs from outside, injected so tests can swap any part."""

    ctx: Context
    log: Callable[[str], None]
    make_executor: Callable[[Path], Executor]      # workspace → executor
    run_image: Callable[[], Image]                 # the base to build on


@dataclass(frozen=True)
class BuildReport:
    written: Written
    image: Image
    detection: Detection
    workspace: Workspace
    layers: tuple[ExportedLayer, ...]


def fetch_and_detect(spec: SourceSpec, dest: Path, env: Mapping[str, str],
                     log: Callable[[str], None]) -> tuple[Workspace, Mapping[str, str], DetectResult]:
    """SOURCE + DETECT; shared by `dockless build` and `dockless detect`."""
    workspace = fetch_source(spec, dest, log=log)
    build_env = {**workspace.build_env, **env}
    return workspace, build_env, detect(workspace.path, build_env, registry.detectors())


def created_time(request: BuildRequest, workspace: Workspace) -> int:
    """SOURCE_DATE_EPOCH, else the commit time, else the fixed CNB time."""
    if request.source_date_epoch:
        return layer_epoch({"SOURCE_DATE_EPOCH": request.source_date_epoch})
    return workspace.commit_time or DEFAULT_EPOCH


def build(request: BuildRequest, services: Services) -> BuildReport:
    log = services.log
    with tempfile.TemporaryDirectory(prefix="dockless-build-") as tmp:
        tmpdir = Path(tmp)
        workspace, build_env, detected = fetch_and_detect(request.source, tmpdir / "workspace", request.env, log)
        detection = require(detected)
        log(f"detected {detection.buildpack}: {'; '.join(detection.reasons)}")
        run_image = services.run_image()
        buildpack = registry.buildpack(detection.buildpack, request.host_env)
        layers_dir = tmpdir / "layers"
        layers_dir.mkdir()
        layer_cache = DirLayerCache(request.cache_root / "layers")
        ctx = BuildContext(
            workspace=workspace.path,
            layers_dir=layers_dir,
            detection=detection,
            env=build_env,
            executor=services.make_executor(workspace.path),
            cache=layer_cache,
            download_dir=request.cache_root / "downloads",
            log=log,
        )
        result = buildpack.build(ctx)
        epoch = layer_epoch({"SOURCE_DATE_EPOCH": request.source_date_epoch} if request.source_date_epoch else {})
        log("exporting layers")
        image, exported = export(
            run_image, result, workspace.path,
            never_ship=frozenset(NEVER_SHIP), store=services.ctx.store, epoch=epoch,
            created=created_time(request, workspace),
            provenance=Provenance(workspace.url, workspace.commit), buildpack=detection.buildpack,
            memo=layer_cache,
        )
        for e in exported:
            log(f"layer {e.name}: {e.layer.digest.short} ({e.layer.size / 1e6:.1f} MB)")
        log(f"writing {request.image}")
        written = write_image(image, request.image, services.ctx)
        shutil.rmtree(layers_dir, ignore_errors=True)
        return BuildReport(written, image, detection, workspace, tuple(exported))
