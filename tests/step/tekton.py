"""What Tekton does to a Task step before the container runs it: variable substitution and the script file.

Tekton replaces `$(params.X)`, `$(params.X[*])` (an array expands into separate
args), `$(workspaces.W.path)`, `$(workspaces.W.bound)` and
`$(results.R.path)` in a step's script and args, writes the script to a file
and runs it with the args. These helpers do exactly that for one step, so a
test can run the Task's own text in a container under the same contract.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ruamel.yaml import YAML

_VAR = re.compile(r"\$\((params|workspaces|results)\.([A-Za-z0-9_-]+)(?:\.(path|bound))?(\[\*\])?\)")
RESULTS_DIR = "/tekton/results"


@dataclass(frozen=True)
class TektonStep:
    """A step ready to run: its image, its script text and args after substitution, and its securityContext."""

    image: str
    script: str
    args: list[str]
    security: dict[str, Any]


def task_step(task_yaml: str, params: Mapping[str, str | Sequence[str]], workspaces: Mapping[str, str | None],
              index: int = 0) -> TektonStep:
    """Step `index` of the Task, substituted for `params` (defaults filled in) and `workspaces` (None = unbound)."""
    task: dict[str, Any] = YAML(typ="safe").load(task_yaml)
    spec = task["spec"]
    values: dict[str, str | Sequence[str]] = {p["name"]: p["default"] for p in spec.get("params", []) if "default" in p}
    values.update(params)
    missing = [p["name"] for p in spec.get("params", []) if p["name"] not in values]
    if missing:
        raise KeyError(f"params without a value: {missing}")
    declared = {w["name"]: bool(w.get("optional")) for w in spec.get("workspaces", [])}
    for name, optional in declared.items():
        if not optional and workspaces.get(name) is None:
            raise KeyError(f"workspace {name} is required")

    def value(kind: str, name: str, attr: str | None) -> str | Sequence[str]:
        if kind == "params":
            return values[name]
        if kind == "results":
            return f"{RESULTS_DIR}/{name}"
        path = workspaces.get(name)
        if attr == "bound":
            return "true" if path is not None else "false"
        return path or ""

    def text(template: str) -> str:
        def one(match: re.Match[str]) -> str:
            found = value(match.group(1), match.group(2), match.group(3))
            if not isinstance(found, str):
                raise ValueError(f"{match.group(0)}: an array is only allowed as a whole argument")
            return found
        return _VAR.sub(one, template)

    args: list[str] = []
    step = spec["steps"][index]
    for arg in step.get("args", []):
        whole = _VAR.fullmatch(arg)
        if whole and whole.group(4):
            found = value(whole.group(1), whole.group(2), whole.group(3))
            args.extend([found] if isinstance(found, str) else list(found))
        else:
            args.append(text(arg))
    return TektonStep(step["image"], text(step["script"]), args, dict(step.get("securityContext") or {}))
