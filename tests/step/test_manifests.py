"""The shipped Tekton and Knative Build manifests: rendered from the step contract, and the Task's script run by sh.

The examples must be exactly what `dockless builder manifests --out examples`
writes, so the templates are the one source. The Task's script is then run by
a real /bin/sh with Tekton's substitutions and a recording `dockless` on PATH:
the arguments and environment it gives dockless follow the contract. (The
script also runs for real in the builder image: tests/step/test_step_image.py.)
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from builder.step import CONTRACT, render_manifests
from builder.step.manifests import DEFAULT_BUILDER
from tests.infra.k8s_schema import K8sSchemas
from tests.step.tekton import task_step

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_the_examples_are_the_rendered_templates() -> None:
    for rel, text in render_manifests(DEFAULT_BUILDER).items():
        assert (EXAMPLES / rel).read_text() == text, f"examples/{rel} is stale: run dockless builder manifests --out examples"


def test_the_manifests_name_the_builder_and_the_contract() -> None:
    files = render_manifests("registry.example.com/dockless/builder@sha256:" + "1" * 64)
    docs = {rel: YAML(typ="safe").load(text) for rel, text in files.items()}
    task = docs["tekton/task.yaml"]
    assert task["kind"] == "Task" and task["apiVersion"] == "tekton.dev/v1"
    assert [p["name"] for p in task["spec"]["params"]] == ["APP_IMAGE", "SOURCE_SUBPATH", "ENV_VARS", "RUN_IMAGE",
                                                          "CACHE_DIR"]
    assert {w["name"]: w.get("optional", False) for w in task["spec"]["workspaces"]} == {
        "source": False, "cache": True, "dockerconfig": True}
    assert [r["name"] for r in task["spec"]["results"]] == ["IMAGE_DIGEST", "IMAGE_URL"]  # what Tekton Chains reads
    (step,) = task["spec"]["steps"]
    assert step["image"].endswith("@sha256:" + "1" * 64)
    assert step["securityContext"] == {"runAsUser": CONTRACT.uid, "runAsNonRoot": True, "allowPrivilegeEscalation": False}
    template = docs["knative/build/buildtemplate.yaml"]
    assert template["kind"] == "BuildTemplate" and template["metadata"]["name"] == "buildpack"
    assert [p["name"] for p in template["spec"]["parameters"]][0] == "IMAGE"
    assert "${IMAGE}" in template["spec"]["steps"][0]["args"]
    service = docs["knative/build/service-v1alpha1.yaml"]
    assert service["spec"]["runLatest"]["configuration"]["build"]["template"]["name"] == "buildpack"
    pipeline = docs["tekton/pipeline.yaml"]
    assert [t["name"] for t in pipeline["spec"]["tasks"]] == ["clone", "build"]
    assert pipeline["spec"]["tasks"][1]["taskRef"]["name"] == task["metadata"]["name"]




@pytest.mark.parametrize("bound", [True, False])
def test_the_task_script_gives_dockless_the_contract(tmp_path: Path, bound: bool) -> None:
    results, bin_dir = tmp_path / "results", tmp_path / "bin"
    results.mkdir(), bin_dir.mkdir()
    workspaces = {"source": "/workspace/source", "cache": "/workspace/cache" if bound else None,
                  "dockerconfig": "/workspace/dockerconfig" if bound else None}
    params = {"APP_IMAGE": "registry.example.com/team/app:v1", "SOURCE_SUBPATH": "apps/web",
              "ENV_VARS": ["BP_NODE_VERSION=22", "NPM_CONFIG_LOGLEVEL=warn x"],
              "RUN_IMAGE": "registry.example.com/run:1" if bound else ""}
    step = task_step((EXAMPLES / "tekton/task.yaml").read_text(), params, workspaces)
    script = tmp_path / "script"
    script.write_text(step.script.replace("/tekton/results", str(results)))
    script.chmod(0o755)
    fake = bin_dir / "dockless"
    fake.write_text("#!/bin/sh\nexec python3 -c 'import json, os, sys; json.dump({\"argv\": sys.argv[1:], "
                    "\"env\": {k: os.environ.get(k) for k in (\"DOCKER_CONFIG\", \"DOCKLESS_CACHE_DIR\")}}, "
                    "open(os.environ[\"RECORD\"], \"w\"))' \"$@\"\n")
    fake.chmod(0o755)
    record = tmp_path / "record.json"
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "RECORD": str(record), "HOME": str(tmp_path)}
    done = subprocess.run(["/bin/sh", str(script), *step.args], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    called = json.loads(record.read_text())
    expected = ["build", "/workspace/source/apps/web", "--image", "registry.example.com/team/app:v1",
                "--digest-file", f"{results}/IMAGE_DIGEST",
                "--env", "BP_NODE_VERSION=22", "--env", "NPM_CONFIG_LOGLEVEL=warn x"]
    if bound:
        expected += ["--run-image", "registry.example.com/run:1"]
    assert called["argv"] == expected
    assert called["env"] == ({"DOCKER_CONFIG": "/workspace/dockerconfig", "DOCKLESS_CACHE_DIR": "/workspace/cache/dockless"}
                             if bound else {"DOCKER_CONFIG": None, "DOCKLESS_CACHE_DIR": None})
    assert (results / "IMAGE_URL").read_text() == "registry.example.com/team/app:v1"
    assert os.access(script, os.X_OK)


GIT_CLONE = """\
# A stand-in for the Tekton catalog's git-clone Task: its name, params and workspace, so that
# tekton-lint can check the Pipeline's reference to it.
apiVersion: tekton.dev/v1
kind: Task
metadata:
  name: git-clone
spec:
  params:
    - name: url
    - name: revision
  workspaces:
    - name: output
  steps:
    - name: clone
      image: registry.example.com/git:2.45.2
      script: "true"
"""


def test_tekton_lint_finds_no_error_in_the_task_and_pipeline(k8s_schemas: K8sSchemas, tmp_path: Path) -> None:
    for name in ("task.yaml", "pipeline.yaml"):
        (tmp_path / name).write_text((EXAMPLES / "tekton" / name).read_text())
    (tmp_path / "git-clone.yaml").write_text(GIT_CLONE)
    found = [f for f in k8s_schemas.tekton_lint(tmp_path) if f["path"] != "git-clone.yaml"]
    assert [f for f in found if f["level"] == "error"] == []
    # the catalog's buildpacks Task names its params in capitals too (APP_IMAGE): that warning is expected
    assert {f["rule"] for f in found} <= {"prefer-kebab-case"}, found
    (tmp_path / "git-clone.yaml").unlink()  # the linter does catch a broken reference
    assert any(f["rule"] == "no-missing-resource" for f in k8s_schemas.tekton_lint(tmp_path))
