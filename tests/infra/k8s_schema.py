"""Kubernetes, Knative and Tekton manifests checked by real validators from npm, run by Node.js.

`@kubernetes-models/knative` carries JSON schemas generated from the Knative
Serving and Eventing CRDs, `kubernetes-models` those of the Kubernetes API;
both validate with ajv; `@ibm/tekton-lint` checks Tekton Tasks and Pipelines
(params, workspaces, results and task references). tests/knative/schema pins them (package-lock.json with
npm's integrity hashes) and `npm ci` installs them once per session.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA_DIR = Path(__file__).resolve().parents[1] / "knative" / "schema"


@dataclass(frozen=True)
class Verdict:
    """One document's result: its kind and name, and the validator's error (None when valid)."""

    kind: str | None
    name: str | None
    error: str | None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class K8sSchemas:
    """The installed validators in `root` (a copy of tests/knative/schema with node_modules)."""

    root: Path

    def validate(self, docs: list[dict[str, Any]]) -> list[Verdict]:
        """Validate every document; a kind with no model is a failed verdict, never a pass."""
        done = subprocess.run(["node", str(self.root / "validate.cjs")], input=json.dumps(docs), text=True,
                              capture_output=True, timeout=120, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"validate.cjs failed: {done.stderr.strip()[-2000:]}")
        return [Verdict(r["kind"], r["name"], None if r["ok"] else r["error"]) for r in json.loads(done.stdout)]

    def assert_valid(self, docs: list[dict[str, Any]]) -> None:
        bad = [v for v in self.validate(docs) if not v.ok]
        assert not bad, bad

    def tekton_lint(self, directory: Path) -> list[dict[str, Any]]:
        """IBM's tekton-lint over every *.yaml in `directory` (Tasks and the Pipelines that use them):
        its findings, errors and warnings, as JSON objects {message, rule, level, path}."""
        done = subprocess.run([str(self.root / "node_modules" / ".bin" / "tekton-lint"), "--format", "json", "*.yaml"],
                              cwd=directory, text=True, capture_output=True, timeout=120, check=False)
        try:
            found: list[dict[str, Any]] = json.loads(done.stdout)
        except json.JSONDecodeError:
            raise RuntimeError(f"tekton-lint failed: {done.stdout[-1000:]} {done.stderr[-1000:]}") from None
        return found


def install_schemas(dest: Path) -> K8sSchemas:
    """Copy tests/knative/schema to `dest` and `npm ci` there (the npm registry, integrity-checked)."""
    shutil.copytree(SCHEMA_DIR, dest, ignore=shutil.ignore_patterns("node_modules"))
    done = subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts"], cwd=dest, text=True,
                          capture_output=True, timeout=600, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"npm ci in {dest} failed: {done.stderr.strip()[-2000:]}")
    return K8sSchemas(dest)
