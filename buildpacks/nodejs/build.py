"""The Node.js buildpack: runtime, dependencies, build script, launch processes.

Build steps run through `ctx.executor` with the workspace at /workspace and
these mounts (host directories from the layer cache or the build's scratch):

    /layers/nodejs/node          bin/node + LICENSE           read-only  (also the launch layer)
    /layers/nodejs/node-headers  include/node                 read-only  node-gyp's nodedir
    /layers/nodejs/<tool>        npm | pnpm | yarn | yarn-berry, bin/ on PATH   read-only
    /layers/nodejs/pm-cache      the package managers' download caches          writable, shared
    /layers/nodejs/home          HOME for this build                            writable

The env given to the executor holds only this buildpack's additions (the
executor owns PATH's system part, HOME's default, the host's CA bundle and
proxies): the build env (--env, project.toml) minus NODE_ENV during installs
(devDependencies are always installed, then pruned), and the tools' bin
directories in front of PATH.

Only `bin/node` and the pruned node_modules ship; npm, pnpm, yarn, the headers
and the caches stay behind, and so do `.npmrc` and the other files that can hold
registry tokens (see APP_EXCLUDES).

BUILD ONLY: when a later member of the group requires `node` with
`launch = "false"` (the static buildpack, for a Node.js build of a static site),
Node.js runs the install and the build and nothing of it ships: the node and
node_modules layers are cache-only, and there are no processes, launch checks,
launch env or SBOM entries (a later buildpack gives the process).
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from builder.buildpack.layers import cached_layer
from builder.buildpack.procfile import read_procfile
from builder.image.media import Platform
from builder.lifecycle.contract import LAYERS, WORKSPACE, BuildContext, BuildResult, BuiltLayer, Mount
from builder.lifecycle.env import prepend_path
from detectors._files import read_json_object

from . import bins, buildcache, checks, deps, pins, pmlog, scripts, workspaces
from .managers import NODEDIR_VAR, TOOLS, Commands, commands, tool_preference
from .processes import processes
from .inventory import npm_components, runtime_component
from .registry import DEFAULT_REGISTRY, LazyClient, NpmRegistry, registry_url
from .runtime import BUILDPACK, NODE_PACKAGES, NodeRuntime, Tool, install_node, install_tool, node_arch
from .processes import NODE
from .versions import pick_tool, resolve_node, tool_request

HOME = f"{LAYERS}/nodejs"
NODE_HOME = f"{HOME}/node"
HEADERS = f"{HOME}/node-headers"
PM_CACHE = f"{HOME}/pm-cache"
BUILD_HOME = f"{HOME}/home"
NODE_GYP = f"{BUILD_HOME}/node-gyp-nodedir.js"  # managers.nodedir_env: node-gyp with the layer's headers
NODE_GYP_PRELOAD = f"""// dockless (NODE_OPTIONS --require, build only): node-gyp compiles against the Node.js
// headers of the build instead of downloading them. Set in node-gyp's own process, since
// npm 11 warns about an npm_config_nodedir in its environment.
if (/node-gyp(\\.js)?$/.test(process.argv[1] || "") && !process.env.npm_config_nodedir &&
    process.env.{NODEDIR_VAR}) {{
  process.env.npm_config_nodedir = process.env.{NODEDIR_VAR}
}}
"""
APP_EXCLUDES = frozenset({
    "node_modules", ".npmrc", ".yarnrc", ".yarnrc.yml", ".pnpm-store",
    ".yarn/cache", ".yarn/unplugged", ".yarn/install-state.gz", ".yarn/build-state.yml",
})


def host_arch() -> str:
    """The architecture builds run on, in OCI terms; Node binaries must run in the build sandbox."""
    return Platform.host().architecture


@dataclass(frozen=True)
class NodeBuildpack:
    """Installs Node.js and the app's dependencies; launches the app as PID 1.

    `registry` and `ca_file` are the host's npm registry and CA bundle, used for
    the buildpack's own downloads; the build env's npm_config_registry wins over
    `registry`. `arch` is the image's architecture (amd64, arm64).
    """

    id: str = "nodejs"
    arch: str = field(default_factory=host_arch)
    registry: str = DEFAULT_REGISTRY
    ca_file: Path | None = None
    packument_ttl: float = 600.0
    transport: httpx.BaseTransport | None = None

    @classmethod
    def from_environ(cls, environ: Mapping[str, str], **overrides: Any) -> NodeBuildpack:
        """A buildpack configured like npm on this host: npm_config_registry, SSL_CERT_FILE."""
        ca = environ.get("SSL_CERT_FILE", "").strip()
        return cls(registry=registry_url(environ), ca_file=Path(ca) if ca else None, **overrides)

    def build(self, ctx: BuildContext) -> BuildResult:
        requires = ctx.plan.metadata("node")
        member = workspaces.find_member(ctx.workspace, ctx.app_dir, requires.get("package_manager") or "npm")
        package = read_json_object(ctx.workspace / "package.json")
        arch = node_arch(self.arch)
        with LazyClient(self._client) as client:
            registry = NpmRegistry(client, registry_url(ctx.env, self.registry), ctx.download_dir / "npm",
                                   ctx.log, self.packument_ttl)
            node_packument = registry.packument(NODE_PACKAGES[arch])
            version = resolve_node(requires.get("node"), requires.get("node_source") or "the Node.js version",
                                   node_packument)
            ctx.log(f"Node.js {version} for {requires.get('node') or 'the newest LTS'}"
                    f" ({requires.get('node_source') or 'default'})")
            runtime = install_node(registry, ctx.cache, node_packument, version, arch)
            ships = not build_only(ctx.plan.metadata("node"))
            layers = [BuiltLayer("node", runtime.home, NODE_HOME, launch=ships, cache=True, metadata=runtime.metadata)]
            components = [runtime_component(runtime.version)]
            hooks = deps.Hooks.from_plan(requires)
            lockfile = requires.get("lockfile", "")
            if package is not None and (deps.has_dependencies(package, lockfile) or hooks):
                meta = {**deps.deps_metadata(ctx.workspace, package, lockfile=lockfile,
                                             manager=requires.get("package_manager") or "npm",
                                             node_version=runtime.version, arch=runtime.arch),
                        **workspaces.metadata(member),
                        **deps.dev_metadata(ctx.env, requires.get("package_manager") or "npm")}
                dirs, skipped = buildcache.cache_dirs(read_json_object(ctx.workspace / ctx.app_dir / "package.json"))
                for entry in skipped:
                    ctx.log(f"build cache: package.json cacheDirectories: skipping {entry}")
                with buildcache.kept(ctx.cache, ctx.workspace / ctx.app_dir, dirs if hooks.build else [], meta,
                                     ctx.log):
                    modules = self._dependencies(ctx, registry, runtime, package, meta, hooks)
                if modules is not None:
                    layers.append(BuiltLayer("node_modules", modules, f"{WORKSPACE}/node_modules", launch=ships,
                                             cache=True, metadata=meta))
                    components += npm_components(modules)
        if not ships:
            ctx.log("Node.js is needed at build only: neither Node.js nor node_modules ships in the image")
            return BuildResult(layers, (), {}, APP_EXCLUDES | workspaces.app_excludes(member), ())
        app = ctx.workspace / ctx.app_dir
        procfile, start, notes = scripts.launch_commands(  # `web: npm start` -> the script npm would run
            read_procfile(app), requires.get("start", ""), requires.get("start_command", ""),
            read_json_object(app / "package.json"), manager=requires.get("package_manager") or "npm", workspace=app)
        modules_layer = next((layer.path for layer in layers if layer.name == "node_modules"), None)
        procfile, start, run_by_node = bins.rewrite_all(  # `next start` -> node …/.bin/next start (no env)
            procfile, start, modules_layer / ".bin" if modules_layer is not None else None)
        for note in [*notes, *run_by_node]:
            ctx.log(note)
        launch = workspaces.launch_processes(processes(procfile, start), member)
        checks.check(launch, workspace=ctx.workspace, node_modules=modules_layer, arch=self.arch, node=NODE,
                     dev_bins=checks.dev_bins(ctx.workspace, ctx.app_dir),
                     node_script=checks.node_script(read_json_object(app / "package.json"),
                                                    requires.get("package_manager") or "npm"))
        launch_env = {"NODE_ENV": "production", "PORT": ctx.env.get("PORT", "8080"),
                      **prepend_path("PATH", f"{NODE_HOME}/bin", f"{WORKSPACE}/node_modules/.bin")}
        return BuildResult(layers, launch, launch_env, APP_EXCLUDES | workspaces.app_excludes(member), components)

    def _dependencies(self, ctx: BuildContext, registry: NpmRegistry, runtime: NodeRuntime,
                      package: Mapping[str, Any], meta: Mapping[str, str], hooks: deps.Hooks) -> Path | None:
        """Install, build and prune; the cached node_modules directory, None when nothing was installed."""
        manager = ctx.plan.metadata("node").get("package_manager") or "npm"

        def toolchain() -> deps.Toolchain:
            return self._toolchain(ctx, registry, runtime, package, manager)

        if not deps.has_dependencies(package, ctx.plan.metadata("node").get("lockfile", "")):
            tools = toolchain()
            deps.run_hooks(tools, hooks.prebuild)
            deps.run_hooks(tools, hooks.build, build=True)
            deps.run_hooks(tools, hooks.cleanup)
            return None
        return deps.install(ctx, manager, package, meta, toolchain, hooks=hooks)

    def _toolchain(self, ctx: BuildContext, registry: NpmRegistry, runtime: NodeRuntime,
                   package: Mapping[str, Any], manager: str) -> deps.Toolchain:
        """Fetch the package manager (and npm, for its node-gyp, where another manager needs one)."""
        requires = ctx.plan.metadata("node")
        tool = self._tool(ctx, registry, runtime, manager, requires.get("package_manager_version", ""))
        tools = [tool]
        if manager != "npm" and (manager.startswith("yarn") or deps.implicit_gyp(ctx.workspace, package)):
            tools.append(self._tool(ctx, registry, runtime, "npm", None))  # node-gyp on PATH, from npm
        explicit_registry = registry.url if registry.url != DEFAULT_REGISTRY else None
        cmds = commands(manager, tool.version, lockfile=bool(requires.get("lockfile")), cache=PM_CACHE,
                        headers=HEADERS, registry=explicit_registry, node_gyp=NODE_GYP if manager == "npm" else None)
        member = workspaces.find_member(ctx.workspace, ctx.app_dir, manager)
        if member is not None:  # --subdir named a workspace member: install it with its siblings
            cmds = workspaces.scoped(cmds, member, tool.version)
            ctx.log(workspaces.install_note(member, manager))
        mounts = self._mounts(ctx, runtime, tools)
        (ctx.layers_dir / BUILDPACK / "home" / NODE_GYP.rsplit("/", 1)[1]).write_text(NODE_GYP_PRELOAD)

        def runner(env: Mapping[str, str]) -> deps.Run:
            def run(argv: Sequence[str], what: str) -> None:
                ctx.log(f"running {' '.join(argv)}")
                done = ctx.executor.run(list(argv), what=what, env=env, mounts=mounts)
                pmlog.report(done, what=what, manager=manager, log=ctx.log)  # warnings; blocked install scripts fail
            return run

        return deps.Toolchain(cmds, runner(self._env(ctx, cmds, tools, explicit_registry, keep_node_env=False)),
                              runner(self._env(ctx, cmds, tools, explicit_registry, keep_node_env=True)))

    def _tool(self, ctx: BuildContext, registry: NpmRegistry, runtime: NodeRuntime, manager: str,
              pinned: str | None) -> Tool:
        """The tool `manager` at the version the app asks for (see versions.tool_request); `pinned` is
        None for npm fetched only for its node-gyp, which follows the bundled-npm rule alone."""
        package_name, layer, _ = TOOLS[manager]
        packument = registry.packument(package_name)
        prefer, usable = tool_preference(manager, ctx.workspace)
        requires = ctx.plan.metadata("node")
        own = requires if manager == (requires.get("package_manager") or "npm") and pinned is not None else {}
        wanted, source = tool_request(manager, own, runtime.version, lambda: _read(runtime.headers / "CHANGELOG.md"))
        version = pick_tool(packument, runtime.version, pinned=wanted, prefer=prefer, usable=usable,
                            pinned_source=source or "package.json packageManager")
        ctx.log(f"{manager}: {package_name} {version} ({source or f'the newest that runs on Node.js {runtime.version}'})")
        if own.get("package_manager_hash"):  # corepack's +sha512.<hex>: the tarball must be that file
            pins.verify(registry, packument["versions"][version],
                        pins.parse_pin(own["package_manager_hash"], f"{manager}@{version}"),
                        f"{package_name} {version}", berry=manager == "yarn-berry")
        return install_tool(registry, ctx.cache, packument, version, layer)

    def _mounts(self, ctx: BuildContext, runtime: NodeRuntime, tools: Sequence[Tool]) -> list[Mount]:
        home = ctx.layers_dir / BUILDPACK / "home"
        home.mkdir(parents=True, exist_ok=True)
        shared = {"kind": "package-manager downloads"}
        pm_cache, _ = cached_layer(ctx.cache, BUILDPACK, "pm-cache", shared, fill=lambda path: None)  # starts empty
        return [
            Mount(runtime.home, NODE_HOME, writable=False),
            Mount(runtime.headers, HEADERS, writable=False),
            *(Mount(t.path, f"{HOME}/{t.layer}", writable=False) for t in tools),
            Mount(pm_cache, PM_CACHE, writable=True),
            Mount(home, BUILD_HOME, writable=True),
        ]

    def _env(self, ctx: BuildContext, cmds: Commands, tools: Sequence[Tool], explicit_registry: str | None,
             *, keep_node_env: bool) -> dict[str, str]:
        bins = [f"{HOME}/{t.layer}/bin" for t in tools]
        if any(t.package == "npm" for t in tools):  # yarn, and a root binding.gyp, run node-gyp from PATH
            bins.append(f"{HOME}/npm/lib/node_modules/npm/bin/node-gyp-bin")
        env = {k: v for k, v in ctx.env.items() if keep_node_env or k != "NODE_ENV"}
        for name in deps.KEEP_DEV_SWITCHES["npm"]:  # honoured by the buildpack (no prune); npm 9+ warns about it
            env.pop(name, None)
        env.update(cmds.env)
        if cmds.env.get("NODE_OPTIONS") and ctx.env.get("NODE_OPTIONS"):  # the app's options, then the preload
            env["NODE_OPTIONS"] = f"{ctx.env['NODE_OPTIONS']} {cmds.env['NODE_OPTIONS']}"
        env.update({
            "PATH": ":".join([f"{NODE_HOME}/bin", *bins, f"{WORKSPACE}/node_modules/.bin"]),
            "HOME": BUILD_HOME,
            "CI": "true",
        })
        if explicit_registry and not ctx.env.get("npm_config_registry"):
            env["npm_config_registry"] = explicit_registry
        return env

    def _client(self) -> httpx.Client:
        verify: ssl.SSLContext | bool = ssl.create_default_context(cafile=str(self.ca_file)) if self.ca_file else True
        return httpx.Client(verify=verify, transport=self.transport, timeout=httpx.Timeout(60.0, connect=20.0),
                            headers={"User-Agent": "dockless (+nodejs buildpack)"})


def build_only(requires: Mapping[str, str]) -> bool:
    """True when a requirer of `node` asked for it at build only (`launch = "false"`, merged plan metadata)."""
    return requires.get("launch") == "false"


def _read(path: Path) -> str:
    """A text file's content, "" when it is missing (a runtime cached before CHANGELOG.md was kept)."""
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
