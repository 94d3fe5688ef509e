"""BUILD: run each buildpack of the chosen group in order, and gather what they gave.

As the CNB lifecycle's builder: every buildpack gets its own layers directory
and its build plan; a layer with `build = true` is visible to every later
buildpack of the group (mounted read-only at its target, `bin/` on PATH, `lib/`
on LD_LIBRARY_PATH, its `build_env` applied), so one buildpack can install a
JDK that the next one compiles with. Layers that are neither launch, build nor
cache are dropped; processes of a later buildpack replace an earlier one's of
the same type.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from builder.lifecycle.contract import (
    WORKSPACE,
    BuildContext,
    BuildResult,
    BuiltLayer,
    Component,
    Executor,
    LayerCache,
    LogFn,
    Mount,
    Process,
)
from builder.lifecycle.detect import Selected
from builder.lifecycle.env import apply_all, layer_dirs_env
from builder.lifecycle.packages import PackageRequests


@dataclass(frozen=True)
class OwnedLayer:
    """A layer and the buildpack that made it."""

    buildpack: str
    layer: BuiltLayer


@dataclass(frozen=True)
class GroupResult:
    """Everything the group's builds gave, in group order, for EXPORT."""

    buildpacks: tuple[str, ...]
    layers: tuple[OwnedLayer, ...]
    processes: tuple[Process, ...]
    launch_env: tuple[Mapping[str, str], ...]   # change sets (CNB env file names), in order
    app_excludes: frozenset[str] = frozenset()
    components: tuple[Component, ...] = ()

    @property
    def launch_layers(self) -> tuple[OwnedLayer, ...]:
        return tuple(o for o in self.layers if o.layer.launch)


class LayeredExecutor:
    """An executor that adds the build layers of earlier buildpacks to every command.

    The layers are mounted read-only at their targets; their env changes apply
    first, then the buildpack's own env (whose PATH still goes in front).
    """

    def __init__(self, inner: Executor, layers: Sequence[BuiltLayer]) -> None:
        self.inner = inner
        self.mounts = [Mount(layer.path, layer.target, writable=False) for layer in layers]
        self.env = apply_all({}, [c for layer in layers
                                  for c in (layer_dirs_env(layer.path, layer.target), layer.build_env)])

    def run(self, argv: Sequence[str], *, what: str, cwd: str = WORKSPACE, env: Mapping[str, str] | None = None,
            mounts: Sequence[Mount] = ()) -> subprocess.CompletedProcess[str]:
        merged = {**self.env, **(env or {})}
        for name in ("PATH", "LD_LIBRARY_PATH"):
            parts = [p for p in ((env or {}).get(name, ""), self.env.get(name, "")) if p]
            if parts:
                merged[name] = ":".join(parts)
        return self.inner.run(argv, what=what, cwd=cwd, env=merged, mounts=[*self.mounts, *mounts])


def build_group(group: Sequence[Selected], *, workspace: Path, layers_root: Path, env: Mapping[str, str],
                executor: Callable[[], Executor], cache: LayerCache, download_dir: Path, log: LogFn,
                packages: PackageRequests | None = None, app_dir: str = "") -> GroupResult:
    """Build every member of `group` in order. `executor` gives the executor to use now (it changes
    when a buildpack adds build packages)."""
    layers: list[OwnedLayer] = []
    processes: dict[str, Process] = {}
    launch_env: list[Mapping[str, str]] = []
    excludes: set[str] = set()
    components: list[Component] = []
    for selected in group:
        bp = selected.buildpack.id
        layers_dir = layers_root / bp.replace("/", "_")  # CNB escapes '/' in ids as '_' in paths
        layers_dir.mkdir(parents=True, exist_ok=True)
        build_layers = [o.layer for o in layers if o.layer.build]
        ctx = BuildContext(
            workspace=workspace, layers_dir=layers_dir, plan=selected.plan, env=env,
            executor=_Current(executor, build_layers), cache=cache, download_dir=download_dir,
            log=log, packages=_ForBuildpack(packages, bp) if packages else None, app_dir=app_dir,
        )  # fmt: skip
        if len(group) > 1:
            log(f"buildpack {bp}")
        result: BuildResult = selected.buildpack.build(ctx)
        for layer in result.layers:
            if layer.launch or layer.build or layer.cache:
                layers.append(OwnedLayer(bp, layer))
            else:
                log(f"{bp}: layer {layer.name} is neither launch, build nor cache: dropped")
        for process in result.processes:
            processes.pop(process.type, None)  # a later buildpack's process replaces it, and moves last
            processes[process.type] = process
        launch_env.append(result.launch_env)
        excludes |= result.app_excludes
        components += result.components
    return GroupResult(tuple(s.buildpack.id for s in group), tuple(layers), _one_default(list(processes.values())),
                       tuple(launch_env), frozenset(excludes), tuple(components))


def _one_default(processes: list[Process]) -> tuple[Process, ...]:
    """Exactly one default process: the last one marked default, else `web`, else the first."""
    if not processes:
        return ()
    marked = [p for p in processes if p.default]
    chosen = marked[-1] if marked else next((p for p in processes if p.type == "web"), processes[0])
    return tuple(Process(p.type, p.command, p.args, p is chosen, p.working_dir) for p in processes)


class _ForBuildpack:
    """The build's PackageRequests as one buildpack sees them: a suite it chooses is attributed to it."""

    def __init__(self, requests: PackageRequests, buildpack: str) -> None:
        self.requests = requests
        self.buildpack = buildpack

    @property
    def suite(self) -> str:
        return self.requests.suite

    def add(self, names: Sequence[str], *, build: bool, launch: bool) -> None:
        self.requests.add(names, build=build, launch=launch)

    def offered(self, name: str) -> Mapping[str, str]:
        return self.requests.offered(name)

    def use_suite(self, suite: str) -> None:
        self.requests.use_suite(suite, by=f"buildpack {self.buildpack}")


class _Current:
    """The executor of the moment (it is re-made when build packages are added), with the build layers."""

    def __init__(self, executor: Callable[[], Executor], layers: Sequence[BuiltLayer]) -> None:
        self.executor = executor
        self.layers = list(layers)

    def run(self, argv: Sequence[str], *, what: str, cwd: str = WORKSPACE, env: Mapping[str, str] | None = None,
            mounts: Sequence[Mount] = ()) -> subprocess.CompletedProcess[str]:
        inner = self.executor()
        target: Executor = LayeredExecutor(inner, self.layers) if self.layers else inner
        return target.run(argv, what=what, cwd=cwd, env=env, mounts=mounts)
