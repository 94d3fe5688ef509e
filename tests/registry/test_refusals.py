"""What real registries and their fronts refuse, against distribution 2.8 with auth:
a body-size limit (413) means chunked uploads; a refused manifest is one line with the
registry's own error codes and is not retried; non-distributable layers are never pushed."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from tests.copy.images import OCI_NONDIST_GZIP, make_layout, make_nondistributable_layout
from tests.e2e.cli import assert_clean_error, dockless
from tests.infra.faultproxy import FaultProxy
from tests.infra.registry import Registry
from tests.registry.frontproxy import BodyLimitProxy

pytestmark = pytest.mark.e2e  # url_registry is a real registry too

BIG = random.Random(11).randbytes(3 << 20)  # incompressible: the layer blob stays ~3 MB


def test_a_front_answering_413_gets_chunked_uploads(registry: Registry, repo_name: str, tmp_path: Path) -> None:
    layout, digest = make_layout(tmp_path / "l", {"big.bin": BIG})
    with BodyLimitProxy(registry, limit=1 << 20) as front:
        config = front.docker_config_dir(tmp_path / "cfg")
        run = dockless("copy", f"oci:{layout}:v1", f"{front.host}/{repo_name}:v1", docker_config=config,
                       cache_dir=tmp_path / "c")
        records = front.stats.records
    assert run.code == 0, run.stderr
    assert run.last_line == f"{front.host}/{repo_name}@{digest}"
    assert "answered 413 Request Entity Too Large to a" in run.stderr and "sending it in chunks" in run.stderr
    assert any(r.outcome == "413" and r.method == "PATCH" for r in records)
    assert sum(1 for r in records if r.method == "PATCH" and r.status == 202) >= 3  # >= 3 MB in <= 1 MiB chunks
    assert registry.manifest_digest(repo_name, "v1") == digest
    manifest, _, _ = registry.manifest(repo_name, "v1")
    layer = json.loads(manifest)["layers"][0]
    blob = registry.blob(repo_name, layer["digest"])
    assert len(blob) == layer["size"]


def test_chunks_never_go_below_the_registrys_minimum(registry: Registry, repo_name: str, tmp_path: Path) -> None:
    layout, _ = make_layout(tmp_path / "l", {"big.bin": BIG})
    with BodyLimitProxy(registry, limit=1 << 20, min_chunk=2 << 20) as front:
        config = front.docker_config_dir(tmp_path / "cfg")
        run = dockless("copy", f"oci:{layout}:v1", f"{front.host}/{repo_name}:v1", docker_config=config,
                       cache_dir=tmp_path / "c")
        refused = [r for r in front.stats.records if r.method == "PATCH" and r.outcome == "413"]
    assert_clean_error(run, 8, "413", "limits the request size")
    assert "permission" not in run.stderr and "overloaded" not in run.stderr
    assert len(refused) == 2  # the single PATCH, then one 2 MiB chunk: never smaller than the minimum
    assert registry.tags(repo_name) == []


def test_a_refused_layer_url_is_the_registrys_words_once(registry: Registry, repo_name: str,
                                                         tmp_path: Path) -> None:
    layout, _ = make_nondistributable_layout(tmp_path / "l", urls=("ftp://example.invalid/layer.tar.gz",))
    with FaultProxy(registry) as proxy:
        config = proxy.docker_config_dir(tmp_path / "cfg")
        run = dockless("copy", f"oci:{layout}:nd", f"{proxy.host}/{repo_name}:v1", docker_config=config,
                       cache_dir=tmp_path / "c")
        puts = [r for r in proxy.stats.records if r.method == "PUT" and "/manifests/" in r.path]
    assert_clean_error(run, 8, "500", "MANIFEST_BLOB_UNKNOWN", "UNKNOWN: unknown error", "non-distributable",
                       "ftp://example.invalid/layer.tar.gz", "validation.manifests.urls")
    assert "overloaded" not in run.stderr
    assert len(puts) == 1  # a spec error code is the registry's final word: not retried
    assert registry.tags(repo_name) == []


def test_a_registry_refusing_layer_urls_gets_no_blob_and_no_tag(registry: Registry, docker_config: Path,
                                                                  repo_name: str, tmp_path: Path) -> None:
    """distribution's default: every layer URL refused (500 UNKNOWN + MANIFEST_BLOB_UNKNOWN)."""
    layout, foreign = make_nondistributable_layout(tmp_path / "l")
    run = dockless("copy", f"oci:{layout}:nd", f"{registry.host}/{repo_name}:v1", docker_config=docker_config,
                   cache_dir=tmp_path / "c")
    assert_clean_error(run, 8, "MANIFEST_BLOB_UNKNOWN", foreign, "non-distributable", "https://example.invalid")
    assert not registry.blob_exists(repo_name, foreign)
    assert registry.tags(repo_name) == []


def test_nondistributable_layers_are_never_pushed(url_registry: Registry, repo_name: str, tmp_path: Path) -> None:
    registry = url_registry
    docker_config = registry.docker_config_dir(tmp_path / "cfg")
    layout, foreign = make_nondistributable_layout(tmp_path / "l")
    cache = tmp_path / "c"
    run = dockless("copy", f"oci:{layout}:nd", f"{registry.host}/{repo_name}:v1", docker_config=docker_config,
                   cache_dir=cache)
    assert run.code == 0, run.stderr
    manifest, _, _ = registry.manifest(repo_name, "v1")
    layers = json.loads(manifest)["layers"]
    assert layers[1]["mediaType"] == OCI_NONDIST_GZIP and layers[1]["urls"]
    assert not registry.blob_exists(repo_name, foreign)
    # registry to registry: the same manifest, still no blob
    run = dockless("copy", f"{registry.host}/{repo_name}:v1", f"{registry.host}/{repo_name}-2:v1",
                   docker_config=docker_config, cache_dir=tmp_path / "c-2")
    assert run.code == 0, run.stderr
    assert registry.manifest(f"{repo_name}-2", "v1")[0] == manifest
    # back into a layout: the manifest is kept, the blob the registry never had stays out
    back = tmp_path / "back"
    run = dockless("copy", f"{registry.host}/{repo_name}:v1", f"oci:{back}:nd", docker_config=docker_config,
                   cache_dir=cache)
    assert run.code == 0, run.stderr
    assert not (back / "blobs" / "sha256" / foreign.split(":")[1]).exists()
    inspect = dockless("inspect", "--json", f"oci:{back}:nd", cache_dir=cache)
    assert inspect.code == 0, inspect.stderr
    assert json.loads(inspect.stdout)["layers"][1]["mediaType"] == OCI_NONDIST_GZIP
    # a docker-archive needs every layer's bytes: one clear line, exit 12, for both sources
    for source in (f"{registry.host}/{repo_name}:v1", f"oci:{layout}:nd"):
        refused = dockless("copy", source, f"docker-archive:{tmp_path}/a.tar", docker_config=docker_config,
                           cache_dir=cache)
        assert_clean_error(refused, 12, foreign, "non-distributable", "example.invalid")
        assert not (tmp_path / "a.tar").exists()
    # a layout that has the blob hands it on
    full, _ = make_nondistributable_layout(tmp_path / "full", with_blob=True)
    out = tmp_path / "out"
    assert dockless("copy", f"oci:{full}:nd", f"oci:{out}:nd", cache_dir=cache).code == 0
    assert (out / "blobs" / "sha256" / foreign.split(":")[1]).exists()
    # a layer blob missing from a layout is exit 12 too
    (layout / "blobs" / "sha256" / layers[0]["digest"].split(":")[1]).unlink()
    assert_clean_error(dockless("copy", f"oci:{layout}:nd", f"oci:{tmp_path}/x", cache_dir=cache), 12,
                       "lacks layer blob")
