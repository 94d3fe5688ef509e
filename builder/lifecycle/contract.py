"""The buildpack contract: what a buildpack gets and gives back, in detect and in build.

Modelled on the Cloud Native Buildpacks Buildpack API 0.10, so that built-in
buildpacks (Python) and external ones (`bin/detect`, `bin/build`; see
`builder.lifecycle.cnb`) are driven by the same phases:

    detect(DetectContext)  -> Detection    pass/fail, reasons, and a build plan:
                                           what it `provides` and what it `requires`
    build(BuildContext)    -> BuildResult  layers (launch / build / cache), processes,
                                           launch env, SBOM components

A *group* is an ordered list of buildpacks, some optional; the detect phase
(`builder.lifecycle.detect`) picks the first group whose required members pass
and whose plan resolves (every `requires` is provided by the same or an earlier
member), as the CNB lifecycle does with `order.toml`. Each member's build then
gets its `BuildpackPlan`: the requirements, from any member, on what it provides.

Detectors and buildpacks import only this module, `builder.buildpack` (shared
helpers) and `builder.errors`.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

# The image's fixed places, as in the CNB platform spec.
WORKSPACE = "/workspace"   # the app, and the process working directory
LAYERS = "/layers"         # /layers/<buildpack>/<layer> for every layer
APP_UID = 1000             # numeric non-root user every image runs as
APP_GID = 1000

LogFn = Callable[[str], None]  # one progress line for the user


@dataclass(frozen=True)
class Require:
    """One build-plan requirement (CNB `[[requires]]`): a name and string metadata.

    e.g. Require("node", {"version": ">=18 <21", "version_source": "package.json engines.node"}).
    By convention `build = "true"` / `launch = "true"` say when the requirer needs it.
    """

    name: str
    metadata: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Detection:
    """A buildpack's answer to detect: pass or fail, why, and its part of the build plan.

    `reasons` are human sentences for pass *and* fail; `dockless detect` prints
    them. `malformed` is set when the answer is a fail because an input file is
    broken ("package.json line 3 column 5: Expecting ','"): the build reports it
    (exit 2) if no group passes, instead of "nothing matched" (exit 4).
    """

    buildpack: str
    passed: bool
    reasons: tuple[str, ...] = ()
    provides: tuple[str, ...] = ()
    requires: tuple[Require, ...] = ()
    malformed: str | None = None

    def metadata(self, name: str) -> Mapping[str, str]:
        """The metadata of this detection's own requirement `name` ({} when it has none)."""
        return next((r.metadata for r in self.requires if r.name == name), {})


@dataclass(frozen=True)
class BuildpackPlan:
    """What one buildpack must provide in build (CNB `[[entries]]`): every requirement on its provides.

    Entries come in group order, so a buildpack's own requirement comes before a
    later member's (e.g. nodejs's own "node" before ruby's "node, build=true").
    """

    entries: tuple[Require, ...] = ()

    def metadata(self, name: str) -> dict[str, str]:
        """The merged metadata of every entry `name`: for each key, the first requirer that set it wins."""
        merged: dict[str, str] = {}
        for entry in self.entries:
            if entry.name == name:
                for key, value in entry.metadata.items():
                    merged.setdefault(key, value)
        return merged

    def names(self) -> frozenset[str]:
        return frozenset(e.name for e in self.entries)


@dataclass(frozen=True)
class Process:
    """A launch process (CNB launch.toml [[processes]]). `web` is the default.

    In the image the default process is the ENTRYPOINT (`command`) and CMD
    (`args`): arguments given to `docker run IMAGE …` replace `args` and reach
    the app, as a Knative ContainerSource passes its `args`.
    """

    type: str
    command: Sequence[str]
    args: Sequence[str] = ()
    default: bool = False
    working_dir: str = WORKSPACE


@dataclass(frozen=True)
class BuiltLayer:
    """A directory a buildpack filled, and where it lands: CNB `<layer>.toml` `[types]`.

    `launch` layers ship in the image at `target`; `build` layers are visible to
    the later buildpacks of the group (mounted at `target`; `bin/` on PATH,
    `lib/` on LD_LIBRARY_PATH, `build_env` applied); `cache` layers are kept for
    later builds, with `metadata` deciding reuse (e.g. lockfile hash + Node
    version). A layer that is none of the three is dropped.

    `launch_env` / `build_env` keys are CNB env file names: `NAME` (override),
    `NAME.override`, `NAME.default`, `NAME.append`, `NAME.prepend`, `NAME.delim`
    (see `builder.lifecycle.env`).

    `check_libraries` (launch layers): every ELF shared object in the layer
    (`*.so`, `*.so.N`) must find each library it needs (DT_NEEDED) in the
    image, through its RUNPATH, the launch LD_LIBRARY_PATH or the system's
    library directories; else the build fails naming the file and the library
    (`builder.lifecycle.launchcheck`), not the app at start. For layers of
    compiled extensions (Ruby gems) whose system libraries come as Debian packages.
    """

    name: str
    path: Path
    target: str
    launch: bool = True
    cache: bool = False
    build: bool = False
    metadata: Mapping[str, str] = field(default_factory=dict)
    launch_env: Mapping[str, str] = field(default_factory=dict)
    build_env: Mapping[str, str] = field(default_factory=dict)
    check_libraries: bool = False


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
    """What one buildpack's build gave: layers, processes (a later buildpack's process of the same
    type replaces an earlier one's), launch env (CNB env file names, as in BuiltLayer) and SBOM
    components. `app_excludes` are workspace paths kept out of the app layer (e.g. node_modules,
    which ships as a layer of its own)."""

    layers: Sequence[BuiltLayer] = ()
    processes: Sequence[Process] = ()
    launch_env: Mapping[str, str] = field(default_factory=dict)
    app_excludes: frozenset[str] = frozenset()
    components: Sequence[Component] = ()


@dataclass(frozen=True)
class Mount:
    host: Path
    target: str
    writable: bool = True


class Executor(Protocol):
    """Runs a build command: in the build sandbox, or on the host.

    The executor owns the base environment: PATH (the build root's, then the
    `bin/` of earlier buildpacks' build layers), HOME, LANG, the host's trust
    (SSL_CERT_FILE, NODE_EXTRA_CA_CERTS, PIP_CERT, REQUESTS_CA_BUNDLE,
    GIT_SSL_CAINFO, CURL_CA_BUNDLE, a Java truststore in JAVA_TOOL_OPTIONS) and
    the proxy variables. `env` holds only what the buildpack adds; its `PATH`
    goes in front of the base PATH. `mounts` maps host paths into the sandbox;
    the workspace is always at WORKSPACE. Output goes to the log; a non-zero
    exit raises BuildError naming `what` (e.g. "npm ci") and the last lines.
    """

    def run(self, argv: Sequence[str], *, what: str, cwd: str = WORKSPACE,
            env: Mapping[str, str] | None = None, mounts: Sequence[Mount] = ()) -> subprocess.CompletedProcess[str]: ...


class LayerCache(Protocol):
    """Layer directories kept between builds, keyed by (buildpack, layer, metadata).

    `restore` returns the cached directory if one with exactly this metadata
    exists; `create` returns a fresh empty directory to fill and `commit`
    publishes it atomically (concurrent builds: the first commit wins).
    `builder.buildpack.layers.cached_layer` wraps the three.
    """

    def restore(self, buildpack: str, name: str, metadata: Mapping[str, str]) -> Path | None: ...

    def create(self, buildpack: str, name: str) -> Path: ...

    def commit(self, buildpack: str, name: str, metadata: Mapping[str, str], path: Path) -> Path: ...


class Packages(Protocol):
    """Debian packages a buildpack needs from the stack (a JDK at build, a JRE at launch).

    `build=True`: the packages (and what they need that the build root lacks)
    are in the build root for every later command of the build. `launch=True`:
    they ship in the image as a layer of their own on top of the run image.
    Unknown packages raise StackError (exit 6).

    A runtime version may only be in another Debian suite (Ruby 3.1 and
    OpenJDK 17 in bookworm, 3.3 and 21 in trixie; mixing suites drags in a newer
    libc). `offered(name)` says which suites of the stack have a package and at
    which version, the current suite first; `use_suite(suite)` moves the whole
    build there: the build root of every later command, the run image, the
    launch packages. Two buildpacks wanting different suites is a BuildError, as
    is a suite change when the run image was given with --run-image.
    """

    @property
    def suite(self) -> str: ...

    def add(self, names: Sequence[str], *, build: bool, launch: bool) -> None: ...

    def offered(self, name: str) -> Mapping[str, str]: ...

    def use_suite(self, suite: str) -> None: ...


@dataclass(frozen=True)
class DetectContext:
    """What a buildpack's detect gets: a read-only look at the source.

    `env` is the build env (--env, project.toml); `executor` runs an external
    buildpack's `bin/detect` (built-in detectors do not need it). `app_dir` is
    the app's directory relative to `workspace`, "" (the workspace itself) unless
    `--subdir` named a member of a monorepo workspace, when the workspace is the
    workspace root (lockfile, siblings) and the app is `app_dir` in it, as with
    Paketo's BP_NODE_PROJECT_PATH (see `builder.source._monorepo`).
    """

    workspace: Path
    env: Mapping[str, str]
    executor: Executor | None = None
    log: LogFn = lambda line: None
    app_dir: str = ""


@dataclass(frozen=True)
class BuildContext:
    """What a buildpack's build gets.

    `workspace` is a writable copy of the source (host path; inside the
    executor it is WORKSPACE). `env` is the build-time env (--env and
    project.toml). `layers_dir` is scratch space for this buildpack's layers.
    `plan` is what it must provide (see BuildpackPlan). `app_dir` is the app's
    directory in the workspace, as in DetectContext: a buildpack that honours it
    starts processes there (`working_dir`) and leaves what the app does not need
    out of the app layer (`app_excludes`).
    """

    workspace: Path
    layers_dir: Path
    plan: BuildpackPlan
    env: Mapping[str, str]
    executor: Executor
    cache: LayerCache
    download_dir: Path
    log: LogFn
    packages: Packages | None = None
    app_dir: str = ""


class Detector(Protocol):
    """A built-in buildpack's detect half (detectors/<language>.py): read-only, no executor needed.

    `app_dir` is DetectContext.app_dir: "" unless --subdir named a member of a monorepo workspace.
    """

    def detect(self, workspace: Path, env: Mapping[str, str], app_dir: str = "") -> Detection: ...


class Builder(Protocol):
    """A built-in buildpack's build half (buildpacks/<language>/)."""

    def build(self, ctx: BuildContext) -> BuildResult: ...


class Buildpack(Protocol):
    """A buildpack: an id, a detect and a build (CNB bin/detect and bin/build)."""

    @property
    def id(self) -> str: ...

    def detect(self, ctx: DetectContext) -> Detection: ...

    def build(self, ctx: BuildContext) -> BuildResult: ...
