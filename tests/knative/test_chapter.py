"""The Knative chapter's examples (examples/knative/0*), resolved by `dockless resolve` and run.

The examples name the hello app as `https://git.example.com/you/hello.git`
(the reader's repository); here that URL is replaced by a git:// repository
of examples/nodejs-express with the tags the examples use (v1; v2 with a
changed greeting). Everything else is the files as shipped: one `dockless
resolve` over all of them, the output validated against the Knative and
Kubernetes schemas, and the pinned images run under Docker.
"""

from __future__ import annotations

import re
import secrets
import time
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from tests.e2e.cli import dockless
from tests.e2e.conftest import EXAMPLES
from tests.infra.docker_engine import docker, run_container
from tests.infra.gitdaemon import GitDaemon
from tests.infra.k8s_schema import K8sSchemas
from tests.infra.procs import free_port
from tests.infra.registry import Registry

pytestmark = pytest.mark.e2e

CHAPTER = EXAMPLES / "knative"
READER_REPO = "https://git.example.com/you/hello.git"
PINNED = re.compile(r"[^\s@]+@sha256:[0-9a-f]{64}")


def chapter_files() -> list[Path]:
    return sorted(p for p in CHAPTER.glob("0*/*.yaml"))


def images(doc: dict[str, Any]) -> list[str]:
    containers = doc["spec"]["template"]["spec"]["containers"]
    return [c["image"] for c in containers]


def test_every_chapter_example_names_its_images_with_dockless_references() -> None:
    files = chapter_files()
    assert {p.parent.name for p in files} == {"01-buildpack-demo", "02-blue-green", "03-custom-domain",
                                               "04-event-source"}
    for path in files:
        for doc in YAML(typ="safe").load_all(path.read_text()):
            if doc["kind"] != "ConfigMap" and doc["kind"] != "SinkBinding":
                assert all(image.startswith("dockless://") for image in images(doc)), path


def test_the_shipped_chapter_files_are_valid_as_written(k8s_schemas: K8sSchemas) -> None:
    """What a reader applies after resolve is checked below; the files as shipped must already be valid."""
    docs = [doc for path in chapter_files() for doc in YAML(typ="safe").load_all(path.read_text())]
    k8s_schemas.assert_valid(docs)


def test_the_chapter_resolves_to_valid_manifests_whose_images_answer(
        git_daemon: GitDaemon, registry: Registry, docker_config: Path, build_cache: Path, tmp_path: Path,
        docker_engine: object, k8s_schemas: K8sSchemas) -> None:
    name = f"hello-{secrets.token_hex(3)}"
    url = git_daemon.publish_repo(name, EXAMPLES / "nodejs-express")
    git_daemon.tag(name, "v1")
    hello = (EXAMPLES / "nodejs-express" / "hello.js").read_text()
    git_daemon.commit_change(name, "hello.js", hello.replace("Hello ${target}!", "Hello ${target}, from v2!"))
    git_daemon.tag(name, "v2")
    chapter = tmp_path / "knative"
    for path in chapter_files():
        dest = chapter / path.relative_to(CHAPTER)
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(path.read_text().replace(READER_REPO, url))

    prefix = f"{registry.host}/knative"
    run = dockless("resolve", "-f", str(chapter), "--image-prefix", prefix,
                   docker_config=docker_config, cache_dir=build_cache, cwd=EXAMPLES.parent)
    assert run.code == 0, run.stderr
    assert run.stderr.count("building dockless://") == 4, run.stderr  # hello v1 and v2, the logger, the source
    docs = list(YAML(typ="safe").load_all(run.stdout))
    assert len(docs) == sum(len(list(YAML(typ="safe").load_all(p.read_text()))) for p in chapter_files())
    k8s_schemas.assert_valid(docs)
    assert not re.search(r"""image: ["']?dockless://""", run.stdout)  # (the comments still say dockless://)

    by_name: dict[str, set[str]] = {}
    for doc in docs:
        if doc["kind"] in ("Service", "ContainerSource", "Deployment"):
            template = doc["spec"]["template"]
            key = (template.get("metadata") or {}).get("name") or doc["metadata"]["name"]
            for image in images(doc):
                assert PINNED.fullmatch(image), image
                by_name.setdefault(key, set()).add(image)
    (v1,), (v2,) = by_name["hello-v1"], by_name["hello-v2"]
    assert v1 != v2 and by_name["hello"] == {v1} and by_name["hello-prod"] == {v2}
    assert by_name["time-source"] == by_name["time-source-bound"]
    split = next(d for d in docs if d["kind"] == "Service" and d["spec"].get("traffic")
                 and [t["percent"] for t in d["spec"]["traffic"]] == [50, 50])
    assert [t["revisionName"] for t in split["spec"]["traffic"]] == ["hello-v1", "hello-v2"]

    assert run_container(v1, env={"TARGET": "Knative"}, docker_config=docker_config) == "Hello Knative!\n"
    assert run_container(v2, env={"TARGET": "Knative"}, docker_config=docker_config) == "Hello Knative, from v2!\n"

    (logger,) = by_name["event-logger"]
    (source,) = by_name["time-source"]
    port = free_port()
    names = [f"dockless-{role}-{secrets.token_hex(4)}" for role in ("logger", "source")]
    try:
        docker("run", "-d", "--name", names[0], "--network", "host", "-e", f"PORT={port}", logger,
               docker_config=docker_config)
        docker("run", "-d", "--name", names[1], "--network", "host", "-e", f"K_SINK=http://127.0.0.1:{port}",
               "-e", 'K_CE_OVERRIDES={"extensions":{"sourcekind":"container"}}', source, "--interval=1",
               docker_config=docker_config)
        deadline, logs = time.monotonic() + 60, ""
        while time.monotonic() < deadline and logs.count("ce-type=dev.dockless.time") < 2:
            time.sleep(1)
            logs = docker("logs", names[0]).stdout.decode()
        assert logs.count("ce-type=dev.dockless.time") >= 2, logs
        assert "ce-sourcekind=container" in logs, logs
    finally:
        for container in names:
            docker("rm", "-f", container, check=False)
