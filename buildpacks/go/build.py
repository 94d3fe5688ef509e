"""The Go buildpack: the exact Go release, the modules into a cached layer, static binaries, launch processes.

Layers (none of the toolchain or the module cache ships):

    /layers/go/toolchain   GOROOT: golang.org/toolchain from GOPROXY, checked    cache  (see `toolchain`)
    /layers/go/modcache    GOMODCACHE: `go mod download`                        cache  keyed by go.sum, go.mod,
                                                                                        Go version, GOPROXY/GOFLAGS/…
    /layers/go/gocache     GOCACHE: the go command's build cache                cache  keyed by go.sum, go.mod,
                                                                                        Go version and source, arch
    /layers/go/bin         the built binaries                                   launch
    /layers/go/gopath, /layers/go/home                                          scratch, dropped

The Go release: by default the exact one go.mod names, from the module proxy
(`toolchain`, verified against sum.golang.org); with BP_GO_TOOLCHAIN=debian,
Debian's golang-1.N-go package in the build root (`debian`). The log says which.

Modules come from the build env's GOPROXY (default proxy.golang.org),
checked by the go command against GOSUMDB as usual; GOPRIVATE, GONOPROXY,
GONOSUMDB, GONOSUMCHECK, GOINSECURE and GOFLAGS given with `--env` reach it as
they are, and none of them (credentials included) is written into the image
or the layer metadata (only a hash of them keys the module cache). With
vendor/modules.txt nothing is downloaded: the go command builds from vendor/.
The build itself runs with GOPROXY=off and the module cache read-only, so it
uses exactly what the download step fetched.

Every binary is built with CGO_ENABLED=0 (static: it runs on the small run
image with no libc dependency), unless the app imports "C" or the build env
sets CGO_ENABLED=1 (see `cgo`: gcc at build, the binary links the run image's
glibc, and nothing else), with `-trimpath`, `-buildvcs=false` and
`-ldflags=-buildid=` (no host paths, no VCS stamp, a fixed build id), so the
same source gives the same bytes, and the same image digest. The rule is
ko's and Paketo's (`-buildmode=pie` aside).

Processes: a Procfile's, else one per target (see `targets`), the first
being `web`; each runs its binary directly as PID 1, with /layers/go/bin on
PATH so a Procfile can name a binary. The app listens on $PORT (default 8080).
"""

from __future__ import annotations

import hashlib
import platform
import shutil
import ssl
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from builder.buildpack.download import Downloader
from builder.buildpack.launch import make_processes
from builder.buildpack.layers import cached_layer, new_layer
from builder.buildpack.procfile import read_procfile
from builder.errors import BuildError, UsageError
from builder.lifecycle.contract import (LAYERS, WORKSPACE, BuildContext, BuildResult, BuiltLayer, Component, Mount,
                                        Process)
from builder.lifecycle.env import prepend_path
from detectors.go import read_gomod

from .cgo import BUILD_PACKAGES, check_binaries, cgo_off_error, cgo_setting
from .debian import debian_go
from .targets import Target, find_targets
from .toolchain import BUILDPACK, GoProxy, Toolchain, install_toolchain, proxy_url
from .versions import pick

HOME = f"{LAYERS}/go"
GOROOT = f"{HOME}/toolchain"
MODCACHE = f"{HOME}/modcache"
BIN = f"{HOME}/bin"
GOCACHE = f"{HOME}/gocache"
GOPATH = f"{HOME}/gopath"
BUILD_HOME = f"{HOME}/home"
FLAGS = ("-trimpath", "-buildvcs=false", "-ldflags=-buildid=")
# The build env's Go settings that decide which modules a download gets: they key the module cache.
MODULE_SETTINGS = ("GOPROXY", "GOPRIVATE", "GONOPROXY", "GONOSUMDB", "GONOSUMCHECK", "GOSUMDB", "GOINSECURE",
                   "GOFLAGS")
_ARCH = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}


@dataclass(frozen=True)
class Go:
    """The Go a build runs: its version, its GOROOT in the sandbox and the mounts that put it there."""

    version: str
    goroot: str
    mounts: tuple[Mount, ...]


@dataclass(frozen=True)
class GoBuildpack:
    """Builds the app's main packages with the Go release it asks for; launches the binaries as PID 1.

    `ca_file` is the host's CA bundle for the buildpack's own downloads (the
    toolchain); `arch` the Go architecture of the image (amd64, arm64).
    """

    id: str = BUILDPACK
    arch: str = _ARCH.get(platform.machine(), "amd64")
    ca_file: Path | None = None
    list_ttl: float = 600.0

    @classmethod
    def from_environ(cls, environ: Mapping[str, str], **overrides: Any) -> GoBuildpack:
        """A buildpack that trusts what the host trusts (SSL_CERT_FILE)."""
        ca = environ.get("SSL_CERT_FILE", "").strip()
        return cls(ca_file=Path(ca) if ca else None, **overrides)

    def build(self, ctx: BuildContext) -> BuildResult:
        requires = ctx.plan.metadata("go")
        app = ctx.workspace / ctx.app_dir
        app_dir = f"{WORKSPACE}/{ctx.app_dir}".rstrip("/")
        gomod = read_gomod(app / "go.mod")
        targets = find_targets(app, ctx.env, gomod.module if gomod else "")
        cgo = cgo_setting(ctx.env, app)
        if cgo.enabled:
            if ctx.packages is None:
                raise BuildError("cgo needs gcc from the Debian stack's packages, and this build has none",
                                 "build with the default stack, or with --env CGO_ENABLED=0 and a pure-Go package")
            ctx.packages.add(list(BUILD_PACKAGES), build=True, launch=False)
        go = self._go(ctx, requires.get("go", ""), requires.get("go_source", "default"))
        if cgo.reason:
            ctx.log(cgo.reason)
        scratch = {name: ctx.layers_dir / BUILDPACK / name for name in ("gocache", "gopath", "home", "bin")}
        for path in scratch.values():
            path.mkdir(parents=True, exist_ok=True)
        env = {**ctx.env, "PATH": f"{go.goroot}/bin" + (":/usr/bin:/bin" if cgo.enabled else ""),
               "GOTOOLCHAIN": "local", "GOTELEMETRY": "off", "GOCACHE": GOCACHE, "GOPATH": GOPATH,
               "GOMODCACHE": MODCACHE, "HOME": BUILD_HOME, "CGO_ENABLED": "1" if cgo.enabled else "0",
               "GOENV": "off"}
        mounts = [*go.mounts, Mount(scratch["gopath"], GOPATH), Mount(scratch["home"], BUILD_HOME)]
        vendored = (app / "vendor" / "modules.txt").is_file()
        if gomod is None:
            env["GO111MODULE"] = "off"
        elif gomod.requires and not vendored:
            modcache = self._modules(ctx, app, app_dir, go.version, env,
                                     [*mounts, Mount(scratch["gocache"], GOCACHE)])
            mounts.append(Mount(modcache, MODCACHE, writable=False))
        elif vendored:
            ctx.log("modules: from vendor/ (vendor/modules.txt), nothing downloaded")

        def compile_all(gocache: Path) -> None:
            for target in targets:
                try:
                    self._run(ctx, ["go", "build", *FLAGS, "-o", f"{BIN}/{target.name}", target.package],
                              f"go build {target.package}", {**env, "GOPROXY": "off"},
                              [*mounts, Mount(gocache, GOCACHE), Mount(scratch["bin"], BIN)], cwd=app_dir)
                except BuildError as exc:
                    if cgo.files and not cgo.enabled:
                        raise cgo_off_error(cgo.files, exc) from None
                    raise

        self._compile(ctx, app, go, scratch["gocache"], compile_all, cgo.enabled)
        if cgo.enabled:
            check_binaries([scratch["bin"] / t.name for t in targets])
        ctx.log(f"built {', '.join(f'{t.package} -> {BIN}/{t.name}' for t in targets)}")
        layers = [BuiltLayer("bin", scratch["bin"], BIN, launch=True)]
        components = [Component("go", go.version, f"pkg:golang/stdlib@go{go.version}", "bin", "application")]
        components += self._inventory(ctx, targets, env, [*go.mounts, Mount(scratch["bin"], BIN, writable=False)])
        return BuildResult(layers, _processes(app, targets, app_dir), _launch_env(ctx.env), frozenset(), components)

    def _go(self, ctx: BuildContext, request: str, source: str) -> Go:
        """The Go to build with: from the module proxy, or Debian's package when BP_GO_TOOLCHAIN=debian."""
        choice = ctx.env.get("BP_GO_TOOLCHAIN", "proxy").strip().lower() or "proxy"
        if choice == "debian":
            if ctx.packages is None:
                raise BuildError("BP_GO_TOOLCHAIN=debian needs the Debian stack's packages, and this build has none",
                                 "leave out BP_GO_TOOLCHAIN=debian, or build with the default stack")
            deb = debian_go(ctx.packages, request, source)
            ctx.log(f"Go {deb.version} from Debian {ctx.packages.suite} ({deb.package}) for '{request or 'any'}' "
                    f"({source}){f': {deb.note}' if deb.note else ''}")
            return Go(deb.version, deb.goroot, ())
        if choice != "proxy":
            raise UsageError(f"BP_GO_TOOLCHAIN must be 'proxy' or 'debian', not '{choice}'",
                             "proxy: the exact release from the Go module proxy (default); debian: golang-1.N-go")
        toolchain = self._toolchain(ctx, request, source)
        return Go(toolchain.version, GOROOT, (Mount(toolchain.home, GOROOT, writable=False),))

    def _toolchain(self, ctx: BuildContext, request: str, source: str) -> Toolchain:
        base, auth = proxy_url(ctx.env.get("GOPROXY", ""))
        verify: ssl.SSLContext | bool = ssl.create_default_context(cafile=str(self.ca_file)) if self.ca_file else True
        with httpx.Client(verify=verify, auth=auth, timeout=httpx.Timeout(120.0, connect=20.0),
                          headers={"User-Agent": "dockless (+go buildpack)"}) as client:
            downloads = ctx.download_dir / "go"
            proxy = GoProxy(client, base, Downloader(client, downloads, ctx.log), downloads, ctx.log, self.list_ttl)
            version, note = pick(request, source, proxy.releases(self.arch))
            toolchain = install_toolchain(proxy, ctx.cache, version, self.arch)
        ctx.log(f"Go {version} from golang.org/toolchain (Go module proxy, sum.golang.org) for "
                f"'{request or 'any'}' ({source}){f': {note}' if note else ''}"
                f"{' (cached)' if toolchain.reused else ''}")
        return toolchain

    def _compile(self, ctx: BuildContext, app: Path, go: Go, scratch: Path,
                 compile_all: Callable[[Path], None], cgo: bool = False) -> None:
        """Run `compile_all(GOCACHE dir)` with the go command's build cache of the last build of these modules.

        The build cache (compiled standard library and dependencies: most of a
        cold build's time) is a cache layer keyed by Go version, arch, go.sum and
        go.mod. A committed layer never changes, so a hit is copied into scratch
        space and compiled against there; a miss compiles into a fresh layer that
        is committed only when every target built. The cache is content-addressed
        by the go command (inputs, flags), so it never changes what is built,
        and one app's cache can start another's: the first build with a
        toolchain leaves a copy ("gocache-seed", keyed by the toolchain alone)
        that the first build of any other module set starts from, so only a
        toolchain's first build compiles the standard library (as a BuildKit
        cache mount on GOCACHE does for Dockerfiles).
        """
        toolchain_meta = {"go": go.version, "goroot": go.goroot, "arch": self.arch}
        if cgo:  # cgo objects depend on the C compiler too: a build root of another suite is another cache
            toolchain_meta["cgo"] = ctx.packages.suite if ctx.packages is not None else "on"
        meta = {**toolchain_meta, "go_sum": _digest(app / "go.sum"), "go_mod": _digest(app / "go.mod")}
        found = ctx.cache.restore(BUILDPACK, "gocache", meta)
        if found is None:
            seed = ctx.cache.restore(BUILDPACK, "gocache-seed", toolchain_meta)

            def seeded(path: Path) -> None:
                if seed is not None:
                    shutil.copytree(seed, path, symlinks=True, dirs_exist_ok=True)
                    ctx.log(f"build cache: seeded with the standard library compiled by an earlier Go {go.version} "
                            "build")
                compile_all(path)

            made = new_layer(ctx.cache, BUILDPACK, "gocache", meta, seeded)
            if seed is None:  # the first build with this toolchain: its cache seeds other apps' first builds
                def copy(path: Path) -> None:
                    shutil.copytree(made, path, symlinks=True, dirs_exist_ok=True)

                new_layer(ctx.cache, BUILDPACK, "gocache-seed", toolchain_meta, copy)
            return
        shutil.rmtree(scratch)
        shutil.copytree(found, scratch, symlinks=True)
        ctx.log("build cache: reused the compiled standard library and modules")
        compile_all(scratch)

    def _modules(self, ctx: BuildContext, app: Path, app_dir: str, go_version: str, env: Mapping[str, str],
                 mounts: Sequence[Mount]) -> Path:
        """The module cache layer for this go.sum: restored, or filled by `go mod download`."""
        settings = "\n".join(f"{k}={ctx.env.get(k, '')}" for k in MODULE_SETTINGS)
        meta = {"go_sum": _digest(app / "go.sum"), "go_mod": _digest(app / "go.mod"), "go": go_version,
                "settings": hashlib.sha256(settings.encode()).hexdigest()}

        def fill(path: Path) -> None:
            self._run(ctx, ["go", "mod", "download"], "go mod download", env, [*mounts, Mount(path, MODCACHE)],
                      cwd=app_dir)

        modcache, reused = cached_layer(ctx.cache, BUILDPACK, "modcache", meta, fill)
        ctx.log("modules: reused the cached module cache (go.sum unchanged)" if reused
                else "modules: downloaded into the module cache")
        return modcache

    def _inventory(self, ctx: BuildContext, targets: Sequence[Target], env: Mapping[str, str],
                   mounts: Sequence[Mount]) -> list[Component]:
        """The modules linked into the binaries (`go version -m`), as SBOM components."""
        done = self._run(ctx, ["go", "version", "-m", *(f"{BIN}/{t.name}" for t in targets)], "go version -m",
                         env, mounts, quiet=True)
        found: set[Component] = set()
        for line in done.stdout.splitlines():
            words = line.split()
            if len(words) >= 3 and words[0] == "dep":
                found.add(Component(words[1], words[2], f"pkg:golang/{words[1]}@{words[2]}", "bin"))
        return sorted(found)

    def _run(self, ctx: BuildContext, argv: Sequence[str], what: str, env: Mapping[str, str],
             mounts: Sequence[Mount], cwd: str = WORKSPACE, quiet: bool = False) -> subprocess.CompletedProcess[str]:
        if not quiet:
            ctx.log(f"running {' '.join(argv)}")
        return ctx.executor.run(list(argv), what=what, cwd=cwd, env=env, mounts=mounts)


def _processes(app: Path, targets: Sequence[Target], app_dir: str) -> list[Process]:
    """Procfile processes, else the targets' binaries (the first is `web`); binaries run by absolute path."""
    binaries = {t.name: f"{BIN}/{t.name}" for t in targets}
    commands = {("web" if i == 0 else t.name): binaries[t.name] for i, t in enumerate(targets)}
    commands.update(read_procfile(app))
    return make_processes(commands, aliases=binaries, working_dir=app_dir)


def _launch_env(build_env: Mapping[str, str]) -> dict[str, str]:
    return {"PORT": build_env.get("PORT", "8080"), **prepend_path("PATH", BIN)}


def _digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return ""

