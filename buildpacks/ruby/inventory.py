"""What the Ruby layers contain, as SBOM components: the runtime and every installed gem.

A gem counts when Bundler installed it: its `specifications/<name>-<version>.gemspec`
is in the gems layer (gems left out by BUNDLE_WITHOUT are locked but absent).
The name and version come from Gemfile.lock, because a gemspec's file name
alone cannot be split (`net-http-0.4.1`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from urllib.parse import quote

from builder.lifecycle.contract import Component


def runtime_component(version: str, layer: str = "packages") -> Component:
    return Component("ruby", version, f"pkg:generic/ruby@{version}", layer, "application")


def gem_purl(name: str, version: str) -> str:
    """pkg:gem/NAME@VERSION, with `?platform=` for a platform gem (the purl spec's gem type)."""
    plain, _, platform = version.partition("-")
    qualifier = f"?platform={quote(platform, safe='')}" if platform else ""
    return f"pkg:gem/{quote(name, safe='')}@{quote(plain, safe='')}{qualifier}"


def gem_components(gem_home: Path, specs: Sequence[tuple[str, str]], layer: str = "gems") -> list[Component]:
    """A component per locked gem whose gemspec is installed under `gem_home`, sorted."""
    installed = {p.name for p in (gem_home / "specifications").glob("*.gemspec")}
    return sorted({Component(name, version.partition("-")[0], gem_purl(name, version), layer)
                   for name, version in specs if f"{name}-{version}.gemspec" in installed})
