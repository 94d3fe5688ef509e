"""Detecting a member of a JavaScript workspace: the app's own facts, the workspace root's install.

When `--subdir` names a workspace member, the workspace is the workspace root
and `app_dir` the member (see `builder.source._monorepo`). What the app *is*
comes from the member's directory, what *installs* it from the root, as npm,
pnpm and yarn themselves see it:

    from the member   package.json, scripts.build, the start command (Procfile, scripts.start,
                      server.js…), engines.node / .nvmrc / .node-version
    from the root     packageManager, the lockfile (the only one a workspace has), and the
                      Node version when the member asks for none

The result is one `node` requirement like any other, plus `app_dir`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from builder.lifecycle.contract import Detection, Require

DetectFn = Callable[[Path, Mapping[str, str]], Detection]



def _from_root(key: str) -> bool:
    """Requirement metadata that the workspace root decides: package_manager* and lockfile."""
    return key.startswith("package_manager") or key == "lockfile"


def member_detection(detect: DetectFn, workspace: Path, env: Mapping[str, str], app_dir: str) -> Detection:
    """`detect` run on the member at `app_dir` and on the workspace root, merged as above."""
    member = detect(workspace / app_dir, env)
    if not member.passed:
        return Detection(member.buildpack, False, tuple(f"{app_dir}: {r}" for r in member.reasons),
                         malformed=member.malformed)
    root = detect(workspace, env)
    own, top = member.metadata("node"), root.metadata("node")
    merged = {**{k: v for k, v in own.items() if not _from_root(k)},
              **{k: v for k, v in top.items() if _from_root(k)}, "app_dir": app_dir}
    node_reason = None
    if own.get("node_source") == "default" and top.get("node_source", "default") != "default":
        merged["node"], merged["node_source"] = top["node"], f"workspace root {top['node_source']}"
        node_reason = f"Node.js '{top['node']}' from the workspace root's {top['node_source']}"
    installer = next((r for r in root.reasons if r.startswith("package manager ")), "")
    reasons = [f"{app_dir} is a member of a JavaScript workspace: it installs from the workspace root "
               "with the members it depends on"]
    for reason in member.reasons:
        if reason.startswith("package manager "):
            reason = f"{installer} (at the workspace root)"
        elif reason.startswith("no Node.js version asked for") and node_reason:
            reason = node_reason
        reasons.append(reason)
    return Detection(member.buildpack, True, tuple(reasons), provides=member.provides,
                     requires=tuple(Require(r.name, merged) if r.name == "node" else r for r in member.requires))
