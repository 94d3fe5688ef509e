"""The buildpack contract: what detectors and buildpacks get and give back.

Modelled on the Cloud Native Buildpacks Buildpack API (bin/detect pass/fail,
bin/build with a layers dir, `<layer>.toml` types launch/build/cache, and
`launch.toml` processes) so external CNB buildpacks can be adapted later.
Detectors and buildpacks import only this module (and builder.errors);
the lifecycle phases in this package drive them.

Who writes what:
    Detector.detect(workspace, env)        -> Detection   (read-only look at the source)
    Buildpack.build(BuildContext)          -> BuildResult (layers + launch config)
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

# The image's fixed places, as in the CNB platform spec.
WORKSPACE = "/workspace"   # the app, and the process working directory
LAYERS = "/layers"         # /layers/<buildpack>/<layer> for launch layers
APP_UID = 1000             # numeric non-root user every image runs as
APP_GID = 1000


@dataclass(frozen=True)
class Detection:
    """A detector's answer: pass or fail, why, and what the build will need.

    `requires` carries what was found, e.g. {"node": ">=18 <21",
    "node_source": "package.json engines.node", "package_manager": "npm"}.
    `reasons` are human sentences for pass *and* fail; `dockless detect` prints them.
    """

    detector: str
    buildpack: str
    passed: bool
    reasons: tuple[str, ...] = ()
    requires: Mapping[str, str] = field(default_factory=dict)


class Detector(Protocol):
    id: str

    def detect(self, workspace: Path, env: Mapping[str, str]) -> Detection: ...


@dataclass(frozen=True)
class Process:
    """A launch process (CNB launch.toml [[processes]]). `web` is the default."""

    type: str
    command: Sequence[str]
    default: bool = False
    working_dir: str = WORKSPACE


@dataclass(frozen=True)
class BuiltLayer:
    """A directory a buildpack filled, and where it lands in the image.

    `launch` layers ship in the image at `target`; `cache` layers are kept for
    later builds; `metadata` decides reuse (e.g. lockfile hash + Node version).
    """

    name: str
    path: Path
    target: str
    launch: bool = True
    cache: bool = False
    metadata: Mapping[str, str] = field(default_factory=dict)
    launch_env: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, order=True)
class Component:
    """Something a buildpack put in the image, for the SBOM: a runtime, a dependency.

    `purl` is a package URL (pkg:npm/express@4.21.2); `layer` names the
    BuiltLayer it ships in.
    """

    name: str
    version: str
    purl: str
    layer: str = ""
    type: str = "library"


@dataclass(frozen=True)
class BuildResult:
    layers: Sequence[BuiltLayer]
    processes: Sequence[Process]
    launch_env: Mapping[str, str] = field(default_factory=dict)
    # Paths (relative to the workspace) that must not go into the app layer,
    # e.g. node_modules when it ships as its own layer.
    app_excludes: frozenset[str] = frozenset()
    components: Sequence[Component] = ()


@dataclass(frozen=True)
class Mount:
    host: Path
    target: str
    writable: bool = True


class Executor(Protocol):
    """Runs a build command: on the host, or inside the build sandbox.

    `mounts` maps host paths into the sandbox; the workspace is always at
    WORKSPACE. Output goes to `log`; a non-zero exit raises BuildError
    naming `what` (e.g. "npm ci") and the last lines of output.
    """

    def run(self, argv: Sequence[str], *, what: str, cwd: str = WORKSPACE,
            env: Mapping[str, str] | None = None, mounts: Sequence[Mount] = ()) -> subprocess.CompletedProcess[str]: ...


class LayerCache(Protocol):
    """Layer directories kept between builds, keyed by (buildpack, layer, metadata).

    `restore` returns the cached directory if one with exactly this metadata
    exists; `create` returns a fresh empty directory to fill and `commit`
    publishes it atomically (concurrent builds: the first commit wins).
    """

    def restore(self, buildpack: str, name: str, metadata: Mapping[str, str]) -> Path | None: ...

    def create(self, buildpack: str, name: str) -> Path: ...

    def commit(self, buildpack: str, name: str, metadata: Mapping[str, str], path: Path) -> Path: ...


LogFn = Callable[[str], None]  # one progress line for the user


@dataclass(frozen=True)
class BuildContext:
    """What a buildpack's build gets.

    `workspace` is a writable copy of the source (host path; inside the
    executor it is WORKSPACE). `env` is the build-time env (--env and
    project.toml). `layers_dir` is scratch space for this build's layers.
    """

    workspace: Path
    layers_dir: Path
    detection: Detection
    env: Mapping[str, str]
    executor: Executor
    cache: LayerCache
    download_dir: Path
    log: LogFn


class Buildpack(Protocol):
    id: str

    def build(self, ctx: BuildContext) -> BuildResult: ...
