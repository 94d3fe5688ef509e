"""`dockless resolve` end to end: git:// sources at two tags and a local directory, the auth registry, Docker.

Every `dockless://` image in the YAML is built by the real `dockless resolve`,
pushed with auth, replaced by its digest; the printed YAML keeps everything
else, and each pinned image runs and answers with its own version.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from tests.e2e.cli import assert_clean_error, dockless
from tests.e2e.conftest import EXAMPLES
from tests.infra.docker_engine import run_container
from tests.infra.gitdaemon import GitDaemon
from tests.infra.k8s_schema import K8sSchemas
from tests.infra.registry import Registry

pytestmark = pytest.mark.e2e

MANIFESTS = """\
# blue-green between two built revisions
apiVersion: serving.knative.dev/v1
kind: Service
metadata:
  name: hello
spec:
  template:
    metadata:
      name: hello-v2
    spec:
      containers:
        - image: dockless://{url}#v2
  traffic:
    - revisionName: hello-v1
      percent: 100
    - revisionName: hello-v2
      percent: 0
      tag: candidate   # reachable at candidate-hello.…
---
apiVersion: serving.knative.dev/v1
kind: Configuration
metadata:
  name: hello-pinned
spec:
  template:
    metadata:
      name: hello-pinned-v1
    spec:
      containers:
        - image: dockless://{url}#v1
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: hello-local
spec:
  selector: {{matchLabels: {{app: hello-local}}}}
  template:
    metadata:
      labels: {{app: hello-local}}
    spec:
      containers:
        - name: app
          image: dockless://./hello-local
        - name: same-as-v1
          image: "dockless://{url}#v1"
"""


def test_resolve_builds_each_source_once_pins_digests_and_keeps_the_rest(
        git_daemon: GitDaemon, registry: Registry, docker_config: Path, build_cache: Path, tmp_path: Path,
        docker_engine: object, k8s_schemas: K8sSchemas) -> None:
    url = git_daemon.publish_repo("hello-resolve", EXAMPLES / "nodejs-express")
    git_daemon.tag("hello-resolve", "v1")
    hello = (EXAMPLES / "nodejs-express" / "hello.js").read_text()
    git_daemon.commit_change("hello-resolve", "hello.js", hello.replace("Hello ${target}!", "Hello ${target} v2!"))
    git_daemon.tag("hello-resolve", "v2")
    local = tmp_path / "hello-local"
    shutil.copytree(EXAMPLES / "nodejs-express", local)
    (local / "hello.js").write_text(hello.replace("Hello ${target}!", "Hello ${target} from a directory!"))
    manifests = tmp_path / "manifests"
    manifests.mkdir()
    (manifests / "hello.yaml").write_text(MANIFESTS.format(url=url))

    prefix = f"{registry.host}/resolve"
    run = dockless("resolve", "-f", str(manifests), "--image-prefix", prefix,
                   docker_config=docker_config, cache_dir=build_cache, cwd=tmp_path)
    assert run.code == 0, run.stderr
    assert run.stderr.count("building dockless://") == 3, run.stderr  # #v1 written twice, built once
    docs = list(YAML(typ="safe").load_all(run.stdout))
    assert [d["kind"] for d in docs] == ["Service", "Configuration", "Deployment"]
    k8s_schemas.assert_valid(docs)
    v2 = docs[0]["spec"]["template"]["spec"]["containers"][0]["image"]
    v1 = docs[1]["spec"]["template"]["spec"]["containers"][0]["image"]
    from_dir, v1_again = (c["image"] for c in docs[2]["spec"]["template"]["spec"]["containers"])
    digest = r"@sha256:[0-9a-f]{64}"
    assert re.fullmatch(rf"{re.escape(prefix)}/hello-resolve{digest}", v1) and v1 == v1_again
    assert re.fullmatch(rf"{re.escape(prefix)}/hello-resolve{digest}", v2) and v2 != v1
    assert re.fullmatch(rf"{re.escape(prefix)}/hello-local{digest}", from_dir)
    assert docs[0]["spec"]["traffic"][1] == {"revisionName": "hello-v2", "percent": 0, "tag": "candidate"}
    assert "# blue-green between two built revisions" in run.stdout and "tag: candidate   # reachable" in run.stdout
    assert f'image: "{v1}"' in run.stdout  # quoted as written
    assert "dockless://" not in run.stdout
    # tags from the revisions: the registry has hello-resolve:v1 and :v2, the directory's image :latest
    assert registry.manifest("resolve/hello-resolve", "v1")[0] and registry.manifest("resolve/hello-resolve", "v2")[0]
    assert registry.manifest("resolve/hello-local", "latest")[0]

    assert run_container(v1, docker_config=docker_config) == "Hello World!\n"
    assert run_container(v2, docker_config=docker_config) == "Hello World v2!\n"
    assert run_container(from_dir, docker_config=docker_config) == "Hello World from a directory!\n"


def test_a_failing_build_pushes_nothing_and_prints_no_yaml(registry: Registry, docker_config: Path,
                                                           build_cache: Path, tmp_path: Path) -> None:
    shutil.copytree(EXAMPLES / "nodejs-express", tmp_path / "good")
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "README.txt").write_text("nothing to build\n")
    (tmp_path / "k.yaml").write_text("image: dockless://./good\n---\nimage: dockless://./empty\n")
    run = dockless("resolve", "-f", str(tmp_path / "k.yaml"), "--image-prefix", f"{registry.host}/all-or-none",
                   docker_config=docker_config, cache_dir=build_cache, cwd=tmp_path)
    assert_clean_error(run, 4, "no buildpack")
    assert "building dockless://./good" in run.stderr  # built, then held back when the next build failed
    assert run.stdout == ""
    assert registry.manifest_digest("all-or-none/good", "latest") is None


def test_no_repository_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "k.yaml").write_text("image: dockless://./x\n")
    run = dockless("resolve", "-f", str(tmp_path / "k.yaml"), env={"DOCKLESS_REPO": ""})
    assert_clean_error(run, 2, "--image-prefix", "DOCKLESS_REPO")


def test_the_schema_check_catches_what_kubectl_would_refuse(k8s_schemas: K8sSchemas) -> None:
    """The validators used for every shipped and resolved manifest do refuse bad ones (not a check that passes all)."""
    good = {"apiVersion": "serving.knative.dev/v1", "kind": "Service", "metadata": {"name": "hello"},
            "spec": {"template": {"spec": {"containers": [{"image": "r/hello@sha256:" + "0" * 64}]}},
                     "traffic": [{"revisionName": "hello-v1", "percent": 100}]}}
    bad = {**good, "spec": {**good["spec"], "traffic": [{"revisionName": "hello-v1", "percent": "all"}]}}
    unknown = {"apiVersion": "example.com/v1", "kind": "Gadget", "metadata": {"name": "g"}}
    verdicts = k8s_schemas.validate([good, bad, unknown])
    assert [v.ok for v in verdicts] == [True, False, False]
    assert "percent must be integer" in (verdicts[1].error or "")
    assert "no model" in (verdicts[2].error or "")
