"""SOURCE → DETECT → BUILD → EXPORT → PUBLISH, as one function with typed inputs.

`build(request, services)` is the library's one call for a build; the CLI (and
later commands such as `resolve`) make a `BuildRequest` and `Services`
(`builder.lifecycle.services.default_services` wires the real ones: stack,
sandbox, run image) and print the `BuildReport`. Nothing here reads the
process environment or prints.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from builder.errors import BuildError, UsageError
from builder.image.image import Image
from builder.image.layer import Layer
from builder.image.tarball import DEFAULT_EPOCH, layer_epoch
from builder.lifecycle import registry
from builder.lifecycle.build import GroupResult, build_group
from builder.lifecycle.contract import WORKSPACE, Buildpack, Component, DetectContext, Executor, Mount
from builder.lifecycle.detect import DetectResult, detect, require
from builder.lifecycle.export import ExportedLayer, Provenance, export
from builder.lifecycle.launchcheck import check_launch
from builder.lifecycle.layercache import DirLayerCache
from builder.lifecycle.packages import Offered, PackageRequests
from builder.lifecycle.registry import Group, GroupMember
from builder.lifecycle.sbom import debian_components
from builder.reference import Reference
from builder.source import NEVER_SHIP, SourceSpec, Workspace, fetch_source
from builder.context import Context, Written
from builder.transport import check_writable, write_image

LogFn = Callable[[str], None]


@dataclass(frozen=True)
class BuildRequest:
    source: SourceSpec
    image: Reference
    env: Mapping[str, str] = field(default_factory=dict)   # --env K=V, wins over project.toml
    buildpacks: tuple[str, ...] = ()                       # --buildpack: ids or CNB directories; () = ORDER
    source_date_epoch: str | None = None                  # from the environment, if set
    cache_root: Path = Path(".dockless-cache")
    host_env: Mapping[str, str] = field(default_factory=dict)  # npm registry, CA bundle: read once by the CLI


@dataclass(frozen=True)
class Services:
    """What the pipeline needs from outside, injected so tests can swap any part.

    `make_executor(workspace, packages, suite)` runs commands in the build root of
    Debian `suite` that also holds the `packages` buildpacks asked for at build;
    `run_image(suite)` is the base to build on; `package_layer(base, names, suite)`
    makes the layer of the packages asked for at launch and lists every package in
    it, {name: version}, for the SBOM (None: not supported).
    `suites` are the suites the stack can be made from, the default first;
    `offered(package, suites)` says which of them have a package, at which version.
    `fixed_run_image` names a --run-image, which a suite change cannot replace.
    """

    ctx: Context
    log: LogFn
    make_executor: Callable[[Path, tuple[str, ...], str], Executor]
    run_image: Callable[[str], Image]
    package_layer: Callable[[Image, Sequence[str], str], tuple[Layer, Mapping[str, str]]] | None = None
    suites: tuple[str, ...] = ("trixie",)
    offered: Offered | None = None
    fixed_run_image: str | None = None


@dataclass(frozen=True)
class BuildReport:
    written: Written
    image: Image
    detected: DetectResult
    workspace: Workspace
    layers: tuple[ExportedLayer, ...]


def resolve_order(refs: Sequence[str], host_env: Mapping[str, str]) -> list[list[tuple[GroupMember, Buildpack]]]:
    """The groups to try: ORDER, or one group of the `--buildpack` refs (built-in ids or CNB directories),
    all required, as `pack build --buildpack` does."""
    groups: Sequence[Group] = (tuple(GroupMember(ref) for ref in refs),) if refs else registry.ORDER
    order = []
    for group in groups:
        members = []
        for member in group:
            buildpack = _buildpack(member.id, host_env)
            members.append((GroupMember(buildpack.id, member.optional), buildpack))
        order.append(members)
    return order


def _buildpack(ref: str, host_env: Mapping[str, str]) -> Buildpack:
    builtin = registry.builtin(ref, host_env)
    if builtin is not None:
        return builtin
    path = Path(ref)
    if path.is_dir():
        from builder.lifecycle.cnb import CnbBuildpack

        return CnbBuildpack.load(path)
    raise UsageError(f"--buildpack '{ref}' is neither a built-in buildpack nor a directory",
                     f"built in: {', '.join(registry.builtin_ids())}; or a directory with buildpack.toml, "
                     "bin/detect and bin/build (CNB Buildpack API 0.10)")


def fetch_and_detect(spec: SourceSpec, dest: Path, env: Mapping[str, str], log: LogFn, *,
                     buildpacks: Sequence[str] = (), host_env: Mapping[str, str] | None = None,
                     executor: Callable[[Path], Executor] | None = None,
                     ) -> tuple[Workspace, Mapping[str, str], DetectResult]:
    """SOURCE + DETECT; shared by `dockless build` and `dockless detect`.

    `executor(workspace)` is only called when an external buildpack's bin/detect has to run.
    """
    order = resolve_order(buildpacks, host_env or {})
    workspace = fetch_source(spec, dest, log=log)
    build_env = {**workspace.build_env, **env}
    lazy = _LazyExecutor(lambda: executor(workspace.path)) if executor else None
    context = DetectContext(workspace.path, build_env, lazy, log, app_dir=workspace.app_dir)
    return workspace, build_env, detect(context, order)


def created_time(request: BuildRequest, workspace: Workspace) -> int:
    """SOURCE_DATE_EPOCH, else the commit time, else the fixed CNB time."""
    if request.source_date_epoch:
        return layer_epoch({"SOURCE_DATE_EPOCH": request.source_date_epoch})
    return workspace.commit_time or DEFAULT_EPOCH


def build(request: BuildRequest, services: Services) -> BuildReport:
    log = services.log
    check_writable(request.image, services.ctx, log)
    with tempfile.TemporaryDirectory(prefix="dockless-build-") as tmp:
        tmpdir = Path(tmp)
        packages = PackageRequests(services.suites[0], services.suites, services.offered, services.fixed_run_image)
        executors: dict[tuple[str, tuple[str, ...]], Executor] = {}

        def current_executor(workspace: Path) -> Executor:
            key = (packages.suite, packages.build)
            if key not in executors:
                executors[key] = services.make_executor(workspace, packages.build, packages.suite)
            return executors[key]

        workspace, build_env, detected = fetch_and_detect(
            request.source, tmpdir / "workspace", request.env, log, buildpacks=request.buildpacks,
            host_env=request.host_env, executor=current_executor)
        group = require(detected)
        for selected in group:
            log(f"detected {selected.buildpack.id}: {'; '.join(selected.detection.reasons)}")
        # A given run image is read before the build, so a wrong reference fails fast; the built-in
        # one is made after it, on the suite the buildpacks settled on.
        given = services.run_image(packages.suite) if services.fixed_run_image else None
        layer_cache = DirLayerCache(request.cache_root / "layers")
        result = build_group(
            group, workspace=workspace.path, layers_root=tmpdir / "layers", env=build_env,
            executor=lambda: current_executor(workspace.path), cache=layer_cache,
            download_dir=request.cache_root / "downloads", log=log, packages=packages, app_dir=workspace.app_dir,
        )  # fmt: skip
        run_image = given or services.run_image(packages.suite)
        package_layers, package_components = _package_layers(services, run_image, packages)
        check_launch(result, workspace.path, run_image, never_ship=frozenset(NEVER_SHIP),
                     memo_dir=request.cache_root / "run-image-listings",
                     extra_layers=[e.layer for e in package_layers])
        epoch = layer_epoch({"SOURCE_DATE_EPOCH": request.source_date_epoch} if request.source_date_epoch else {})
        log("exporting layers")
        image, exported = export(
            run_image, result, workspace.path,
            never_ship=frozenset(NEVER_SHIP), store=services.ctx.store, epoch=epoch,
            created=created_time(request, workspace),
            provenance=Provenance(workspace.url, workspace.commit), memo=layer_cache,
            package_layers=package_layers, package_components=package_components,
        )  # fmt: skip
        for e in exported:
            log(f"layer {e.name}: {e.layer.digest.short} ({e.layer.size / 1e6:.1f} MB)")
        log(f"writing {request.image}")
        written = write_image(image, request.image, services.ctx)
        shutil.rmtree(tmpdir / "layers", ignore_errors=True)
        return BuildReport(written, image, detected, workspace, tuple(exported))


def _package_layers(services: Services, run_image: Image,
                    packages: PackageRequests) -> tuple[list[ExportedLayer], list[Component]]:
    """The launch packages' layer and its packages as SBOM components (none when nothing was asked for)."""
    names = packages.launch
    if not names:
        return [], []
    if services.package_layer is None:
        raise BuildError(f"a buildpack needs Debian packages at launch ({', '.join(names)}), "
                         "but this build has no Debian stack to take them from", "build on the built-in stack")
    layer, debs = services.package_layer(run_image, names, packages.suite)
    labels = (run_image.config.get("config") or {}).get("Labels") or {}
    return [ExportedLayer("packages", layer)], debian_components(labels, debs, "packages")


class _LazyExecutor:
    """An executor made on first use (detection of built-in buildpacks never needs one)."""

    def __init__(self, make: Callable[[], Executor]) -> None:
        self.make = make

    def run(self, argv: Sequence[str], *, what: str, cwd: str = WORKSPACE, env: Mapping[str, str] | None = None,
            mounts: Sequence[Mount] = ()) -> subprocess.CompletedProcess[str]:
        return self.make().run(argv, what=what, cwd=cwd, env=env, mounts=mounts)


__all__ = ["BuildReport", "BuildRequest", "GroupResult", "Services", "build", "fetch_and_detect", "resolve_order"]
