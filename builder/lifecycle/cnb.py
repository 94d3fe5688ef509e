"""External buildpacks written to the CNB Buildpack API 0.10, run through the same contract and executor.

    bp = CnbBuildpack.load(Path("my-buildpack"))   # buildpack.toml, bin/detect, bin/build
    bp.detect(DetectContext(...))                   # -> Detection (plan from $CNB_BUILD_PLAN_PATH)
    bp.build(BuildContext(...))                     # -> BuildResult (<layer>.toml, launch.toml)

Both run in the build's executor (the sandbox, or the host fallback), with the
paths of the CNB platform spec:

    /cnb/buildpacks/<id>/<version>   the buildpack directory, read-only ($CNB_BUILDPACK_DIR)
    /platform                        env/NAME holds each --env value ($CNB_PLATFORM_DIR), read-only
    /layers/<id>                     bin/build's layers directory ($CNB_LAYERS_DIR), writable
    /cnb/plan                        plan.toml ($CNB_BUILD_PLAN_PATH / $CNB_BP_PLAN_PATH), writable
    /workspace                       the app; the working directory (read-only in detect)

A `/` in a buildpack id is `_` in these paths, as in the CNB lifecycle. The
build env (--env, project.toml) is always in `$CNB_PLATFORM_DIR/env/NAME`, and
is also set in the process environment unless buildpack.toml says
`clear-env = true` (Buildpack API 0.10, "User-Provided Variables" and
"buildpack.toml"). `CNB_TARGET_OS`/`CNB_TARGET_ARCH` say what is built for.
Not supported: order (meta-)buildpacks, image extensions, `exec.d`, per-process
env directories, `[[labels]]`/`[[slices]]` of launch.toml, and reusing a
launch layer from the previous image without its contents.
"""

from __future__ import annotations

import os
import platform
import shutil
import stat
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from builder.errors import BuildError, UsageError
from builder.lifecycle.cnb_cache import CacheLayer, CnbCache
from builder.lifecycle.cnb_toml import layer_types, read_plan, read_processes, read_toml, stringify, write_toml
from builder.lifecycle.contract import (
    LAYERS,
    WORKSPACE,
    BuildContext,
    BuildResult,
    BuiltLayer,
    DetectContext,
    Detection,
    LogFn,
    Mount,
    Process,
)
from builder.lifecycle.env import read_env_dir

SUPPORTED_APIS = ((0, 7), (0, 8), (0, 9), (0, 10))
PLATFORM = "/platform"
PLAN_DIR = "/cnb/plan"
FAIL = 100  # bin/detect: "this buildpack does not apply"
_RESERVED = frozenset({"launch", "build", "store"})  # <layers>/<name>.toml files that are not layers
_ARCH = {"x86_64": "amd64", "aarch64": "arm64", "arm64": "arm64", "armv7l": "arm", "ppc64le": "ppc64le",
         "s390x": "s390x"}  # fmt: skip
# Runs bin/detect and records its exit code: 100 ("does not apply") must not raise in the executor.
_DETECT_WRAPPER = ('status=$1; shift; "$@"; code=$?; echo "$code" > "$status"; '
                   '[ "$code" -eq 100 ] && exit 0; exit "$code"')


def escape(buildpack_id: str) -> str:
    """The id as a path component: `/` becomes `_` (CNB lifecycle)."""
    return buildpack_id.replace("/", "_")


@dataclass(frozen=True)
class CnbBuildpack:
    """A buildpack directory holding buildpack.toml, bin/detect and bin/build (implements the contract's Buildpack)."""

    id: str
    version: str
    name: str
    api: tuple[int, int]
    directory: Path
    clear_env: bool = False  # buildpack.toml `clear-env`: user env only as platform files

    @classmethod
    def load(cls, directory: Path) -> CnbBuildpack:
        """Read and check `directory`; UsageError (exit 2) with one line saying what is wrong."""
        directory = Path(directory).resolve()
        data = read_toml(directory / "buildpack.toml", what="not a CNB buildpack")
        info = data.get("buildpack")
        if not isinstance(info, dict) or not all(isinstance(info.get(k), str) for k in ("id", "version")):
            raise UsageError(f"{directory}/buildpack.toml has no [buildpack] id and version",
                             'add [buildpack] with id = "…" and version = "…"')
        bp_id, version = info["id"], info["version"]
        if "order" in data:
            raise UsageError(f"buildpack {bp_id} is an order (meta-)buildpack; dockless runs only component buildpacks",
                             "pass its component buildpacks with --buildpack, in order")
        api = _api(data.get("api"), bp_id)
        for script in ("detect", "build"):
            _check_executable(directory / "bin" / script, bp_id)
        return cls(bp_id, version, str(info.get("name") or bp_id), api, directory, info.get("clear-env") is True)

    @property
    def target(self) -> str:
        """Where the buildpack directory is mounted ($CNB_BUILDPACK_DIR)."""
        return f"/cnb/buildpacks/{escape(self.id)}/{self.version}"

    def detect(self, ctx: DetectContext) -> Detection:
        """Run bin/detect: exit 0 passes, 100 fails, anything else is a failed detection naming the error."""
        if ctx.executor is None:
            return Detection(self.id, False, ("bin/detect needs an executor, and this detection has none",))
        with self._staged(ctx.log) as bp_dir, tempfile.TemporaryDirectory(prefix="dockless-cnb-detect-") as tmp:
            platform_dir, plan_dir = _platform_dir(Path(tmp), ctx.env), Path(tmp) / "plan"
            plan_dir.mkdir()
            plan = plan_dir / "plan.toml"
            plan.touch()
            argv = ["/bin/sh", "-c", _DETECT_WRAPPER, "sh", f"{PLAN_DIR}/exit-code", f"{self.target}/bin/detect"]
            if self.api < (0, 8):
                argv += [PLATFORM, f"{PLAN_DIR}/plan.toml"]
            mounts = [Mount(ctx.workspace, WORKSPACE, writable=False), *self._mounts(bp_dir, platform_dir),
                      Mount(plan_dir, PLAN_DIR)]  # fmt: skip
            try:
                run = ctx.executor.run(argv, what="bin/detect", env=self._env(ctx.env, f"{PLAN_DIR}/plan.toml"),
                                       mounts=mounts)
            except BuildError as exc:  # exit neither 0 nor 100, or it could not run: a failed detection, and why
                return Detection(self.id, False, (exc.message, *_tail(exc.hint)))
            output = _last_lines(run.stdout + run.stderr)
            code = (plan_dir / "exit-code").read_text().strip() if (plan_dir / "exit-code").is_file() else "?"
            if code != "0":
                return Detection(self.id, False, (f"bin/detect did not pass (exit {code})", *output))
            try:
                provides, requires, ignored = read_plan(read_toml(plan, what=f"{self.id} bin/detect"))
            except (UsageError, ValueError) as exc:
                problem = f"{self.id} bin/detect wrote a malformed build plan: {exc}"
                return Detection(self.id, False, (problem,), malformed=problem)
        notes = (f"{ignored} [[or]] alternative(s) of its plan ignored: dockless takes the first",) if ignored else ()
        return Detection(self.id, True, ("bin/detect passed", *output, *notes), provides, requires)

    def build(self, ctx: BuildContext) -> BuildResult:
        """Restore cache layers, run bin/build, and read back the layers and launch.toml it wrote."""
        layers_dir = ctx.layers_dir
        layers_dir.mkdir(parents=True, exist_ok=True)
        cache = CnbCache(ctx.cache, ctx.download_dir / "cnb-cache", self.id, escape(self.id))
        restored = cache.restore(layers_dir)
        if restored:
            ctx.log(f"{self.id}: restored cache layers {', '.join(restored)}")
        layers_target = f"{LAYERS}/{escape(self.id)}"
        with self._staged(ctx.log) as bp_dir, tempfile.TemporaryDirectory(prefix="dockless-cnb-build-") as tmp:
            platform_dir, plan_dir = _platform_dir(Path(tmp), ctx.env), Path(tmp) / "plan"
            plan_dir.mkdir()
            entries = [{"name": e.name, "metadata": dict(e.metadata)} for e in ctx.plan.entries]
            (plan_dir / "plan.toml").write_text(write_toml({"entries": entries}) if entries else "", encoding="utf-8")
            argv = [f"{self.target}/bin/build"]
            if self.api < (0, 8):
                argv += [layers_target, PLATFORM, f"{PLAN_DIR}/plan.toml"]
            env = {**self._env(ctx.env, None), "CNB_LAYERS_DIR": layers_target,
                   "CNB_BP_PLAN_PATH": f"{PLAN_DIR}/plan.toml"}
            ctx.executor.run(argv, what=f"{self.id} bin/build", env=env,
                             mounts=[*self._mounts(bp_dir, platform_dir), Mount(layers_dir, layers_target),
                                     Mount(plan_dir, PLAN_DIR)])  # fmt: skip
        unhost = _Unhost({layers_dir: layers_target, ctx.workspace: WORKSPACE})
        layers, kept = self._layers(layers_dir, layers_target, unhost, ctx)
        cache.keep(kept)
        return BuildResult(layers=layers, processes=self._processes(layers_dir, unhost))

    def _layers(self, layers_dir: Path, target: str, unhost: _Unhost,
                ctx: BuildContext) -> tuple[list[BuiltLayer], list[CacheLayer]]:
        layers: list[BuiltLayer] = []
        kept: list[CacheLayer] = []
        tomls = {p.stem for p in layers_dir.glob("*.toml") if p.stem not in _RESERVED}
        for orphan in sorted(p.name for p in layers_dir.iterdir() if p.is_dir() and p.name not in tomls):
            ctx.log(f"{self.id}: layer directory {orphan} has no {orphan}.toml: dropped")
        for name in sorted(tomls):
            path = layers_dir / name
            try:
                launch, build, cache, metadata = layer_types(read_toml(
                    layers_dir / f"{name}.toml", what=f"{self.id} bin/build", error=BuildError))
            except ValueError as exc:
                raise BuildError(f"{self.id}: {name}.toml: {exc}", "this is a bug in the buildpack") from None
            if not path.is_dir():
                if launch or build or cache:
                    ctx.log(f"{self.id}: {name}.toml has no layer directory {name}/: dropped")
                continue
            env = read_env_dir(path / "env")
            layers.append(BuiltLayer(
                name, path, f"{target}/{name}", launch=launch, cache=cache, build=build,
                metadata=stringify(metadata),
                launch_env={k: unhost(v) for k, v in {**env, **read_env_dir(path / "env.launch")}.items()},
                build_env={k: unhost(v) for k, v in {**env, **read_env_dir(path / "env.build")}.items()},
            ))  # fmt: skip
            if cache:
                kept.append(CacheLayer(name, path, metadata))
        return layers, kept

    def _processes(self, layers_dir: Path, unhost: _Unhost) -> tuple[Process, ...]:
        launch = layers_dir / "launch.toml"
        if not launch.is_file():
            return ()
        try:
            processes = read_processes(read_toml(launch, what=f"{self.id} bin/build", error=BuildError), self.api)
        except ValueError as exc:
            raise BuildError(f"{self.id}: launch.toml: {exc}", "this is a bug in the buildpack") from None
        return tuple(Process(p.type, tuple(map(unhost, p.command)), tuple(map(unhost, p.args)), p.default,
                             unhost(p.working_dir)) for p in processes)

    def _env(self, user: Mapping[str, str], plan_path: str | None) -> dict[str, str]:
        """The user's build env (unless clear-env), then the CNB variables, which it cannot override."""
        env = {} if self.clear_env else dict(user)
        env |= {"CNB_PLATFORM_DIR": PLATFORM, "CNB_BUILDPACK_DIR": self.target, "CNB_TARGET_OS": "linux",
                "CNB_TARGET_ARCH": _ARCH.get(platform.machine(), platform.machine())}  # fmt: skip
        if plan_path:
            env["CNB_BUILD_PLAN_PATH"] = plan_path
        return env

    def _mounts(self, bp_dir: Path, platform_dir: Path) -> list[Mount]:
        return [Mount(bp_dir, self.target, writable=False), Mount(platform_dir, PLATFORM, writable=False)]

    @contextmanager
    def _staged(self, log: LogFn) -> Iterator[Path]:
        """The buildpack directory to mount: the user's own, or a temporary copy with bin/* made executable.

        A buildpack checked out on Windows or unpacked from a zip often loses the
        exec bit; the user's directory is never modified.
        """
        scripts = [self.directory / "bin" / s for s in ("detect", "build")]
        if all(os.access(s, os.X_OK) for s in scripts):
            yield self.directory
            return
        with tempfile.TemporaryDirectory(prefix="dockless-cnb-bp-") as tmp:
            copy = Path(tmp) / "bp"
            shutil.copytree(self.directory, copy, symlinks=True)
            for script in scripts:
                staged = (copy / script.relative_to(self.directory)).resolve()
                if staged.is_relative_to(copy.resolve()):  # never chmod what a symlink points to outside
                    staged.chmod(staged.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
            log(f"{self.id}: bin/detect or bin/build is not executable; running a copy with the exec bit set")
            yield copy


def _api(value: object, bp_id: str) -> tuple[int, int]:
    try:
        major, minor = (int(part) for part in str(value).split("."))
    except ValueError:
        raise UsageError(f"buildpack {bp_id}: buildpack.toml api = {value!r} is not a Buildpack API version",
                         'set api = "0.10"') from None
    if (major, minor) not in SUPPORTED_APIS:
        raise UsageError(f"buildpack {bp_id} uses Buildpack API {major}.{minor}; dockless runs API 0.7 to 0.10",
                         "use a release of the buildpack written to API 0.7-0.10") from None
    return major, minor


def _check_executable(path: Path, bp_id: str) -> None:
    """bin/detect and bin/build must be files the kernel can run: an ELF binary or a `#!` script with LF lines."""
    if not path.is_file():
        raise UsageError(f"buildpack {bp_id} has no bin/{path.name}", "a CNB buildpack needs bin/detect and bin/build")
    with path.open("rb") as f:
        head = f.read(256)
    if head.startswith(b"\x7fELF"):
        return
    if not head.startswith(b"#!"):
        raise UsageError(f"buildpack {bp_id}: bin/{path.name} is neither a '#!' script nor an ELF binary",
                         "start the script with a line such as '#!/bin/sh'")
    if head.split(b"\n", 1)[0].endswith(b"\r"):
        raise UsageError(f"buildpack {bp_id}: bin/{path.name} has Windows line endings (CRLF), so its "
                         "'#!' line names an interpreter that does not exist",
                         f"convert it: sed -i 's/\\r$//' {path} (or git config core.autocrlf false)")


def _platform_dir(tmp: Path, env: Mapping[str, str]) -> Path:
    """A platform directory whose env/NAME files hold the build env (--env, project.toml)."""
    env_dir = tmp / "platform" / "env"
    env_dir.mkdir(parents=True)
    for name, value in env.items():
        if name and "/" not in name and name not in (".", ".."):
            (env_dir / name).write_text(value, encoding="utf-8")
    return tmp / "platform"


def _last_lines(text: str, count: int = 3) -> tuple[str, ...]:
    return tuple(line.strip() for line in text.strip().splitlines()[-count:] if line.strip())


def _tail(hint: str) -> tuple[str, ...]:
    """The last lines of a failed command's output, from the executor's BuildError hint."""
    return _last_lines(hint.split("output:", 1)[-1])


class _Unhost:
    """Turns host paths back into the image's paths (/layers/…, /workspace) in what bin/build wrote.

    On the host executor there are no mounts: `$CNB_LAYERS_DIR` and the working
    directory are host paths, and a buildpack writes them into env files and
    launch.toml. In the sandbox this changes nothing.
    """

    def __init__(self, mapping: Mapping[Path, str]) -> None:
        pairs = {str(p): t for host, t in mapping.items() for p in (host, host.resolve())}
        self.pairs = sorted(pairs.items(), key=lambda pair: len(pair[0]), reverse=True)

    def __call__(self, text: str) -> str:
        for host, target in self.pairs:
            text = text.replace(host, target)
        return text


__all__ = ["CnbBuildpack", "escape"]
