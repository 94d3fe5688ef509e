"""dockless' registry client against a real distribution 2.8 (htpasswd auth), checked by skopeo.

Assertions about what the registry holds go through the `registry` fixture's
own urllib helpers or skopeo, never through the client under test. A
zero-rate FaultProxy in front of the registry counts requests exactly.
"""

from __future__ import annotations

import json
import os
import tracemalloc
from pathlib import Path

import pytest

from builder.context import Context
from builder.errors import AuthError, NotFoundError, UnreachableError
from builder.image.blobs import BlobStore
from builder.image.image import Image
from builder.image.media import DOCKER_MANIFEST, OCI_INDEX, Platform
from builder.image.mutate import append_layers
from builder.image.image import make_image as make_raw_image
from builder.reference import parse_registry_ref
from builder.registry import RetryPolicy, push_to_registry, read_registry, write_registry
from tests.infra.faultproxy import FaultProxy
from tests.infra.oci import skopeo_inspect
from tests.infra.procs import free_port
from tests.infra.registry import Registry, write_docker_config
from tests.registry.helpers import Progress, context, make_image, options


@pytest.fixture
def store(tmp_path: Path) -> BlobStore:
    return BlobStore(tmp_path / "store")


@pytest.fixture
def image(tmp_path: Path, store: BlobStore) -> Image:
    return make_image(tmp_path, store, {
        "app/index.js": b"console.log('hi')\n",
        "app/data.bin": os.urandom(2_000_000),
        "etc/motd": b"dockless\n",
    })


def pull_bytes(image: Image) -> list[bytes]:
    out = []
    for layer in image.layers:
        with layer.open() as f:
            out.append(f.read())
    return out


def test_push_then_pull_round_trips_and_skopeo_agrees(registry: Registry, docker_config: Path, repo_name: str,
                                                      store: BlobStore, image: Image) -> None:
    ref = parse_registry_ref(f"{registry.host}/{repo_name}:v1")
    pinned = write_registry(image, ref, context(store), options(docker_config))
    assert str(pinned) == f"{registry.host}/{repo_name}@{image.digest}"
    assert registry.manifest_digest(repo_name, "v1") == str(image.digest)
    raw, media_type, _ = registry.manifest(repo_name, "v1")
    assert raw == image.manifest_bytes and media_type == image.media_type

    info = skopeo_inspect(f"docker://{registry.host}/{repo_name}:v1", creds=registry.creds)
    assert info["Digest"] == str(image.digest)
    assert info["Layers"] == [str(layer.digest) for layer in image.layers]

    for by in (ref, pinned):
        pulled = read_registry(by, context(BlobStore(store.root.parent / "pull")), options(docker_config))
        assert pulled.manifest_bytes == image.manifest_bytes and pulled.config_bytes == image.config_bytes
        assert pull_bytes(pulled) == pull_bytes(image)
        assert pulled.diff_ids == image.diff_ids


def test_second_push_uploads_nothing(registry: Registry, repo_name: str, tmp_path: Path, store: BlobStore,
                                     image: Image) -> None:
    with FaultProxy(registry, rate=0.0) as proxy:
        cfg = proxy.docker_config_dir(tmp_path / "cfg")
        ref = parse_registry_ref(f"{proxy.host}/{repo_name}:v1")
        first = push_to_registry(image, ref, context(store), options(cfg))
        assert first.count("uploaded") == 4
        proxy.stats.reset()
        progress = Progress()
        second = push_to_registry(image, ref, context(store, progress=progress), options(cfg))
        assert second.count("exists") == 4 and progress.kinds("upload") == set()
        writes = [(r.method, r.path) for r in proxy.stats.records if r.method not in ("GET", "HEAD")]
        assert writes == [("PUT", f"/v2/{repo_name}/manifests/v1")]


def test_copy_within_a_registry_mounts_every_blob(registry: Registry, repo_name: str, tmp_path: Path,
                                                  store: BlobStore, image: Image) -> None:
    with FaultProxy(registry, rate=0.0) as proxy:
        cfg = proxy.docker_config_dir(tmp_path / "cfg")
        src = parse_registry_ref(f"{proxy.host}/{repo_name}/base:1")
        write_registry(image, src, context(store), options(cfg))
        pulled = read_registry(src, context(BlobStore(tmp_path / "empty")), options(cfg))
        proxy.stats.reset()
        progress = Progress()
        dest = parse_registry_ref(f"{proxy.host}/{repo_name}/app:1")
        result = push_to_registry(pulled, dest, context(BlobStore(tmp_path / "empty"), progress=progress),
                                  options(cfg))
        assert result.count("mounted") == 4 and progress.kinds("upload") == set()
        mounts = [r for r in proxy.stats.records if r.method == "POST"]
        assert len(mounts) == 4 and all("mount=" in r.path and r.status == 201 for r in mounts)
        assert not [r for r in proxy.stats.records if r.method in ("PUT", "PATCH") and "/uploads/" in r.path]
        assert not [r for r in proxy.stats.records if r.method == "GET" and "/blobs/" in r.path]  # nothing read
    for layer in image.layers:
        assert registry.blob_exists(f"{repo_name}/app", str(layer.digest))
    assert registry.manifest_digest(f"{repo_name}/app", "1") == str(image.digest)


def test_wrong_password_is_an_auth_error_and_nothing_is_tagged(registry: Registry, repo_name: str,
                                                               tmp_path: Path, store: BlobStore,
                                                               image: Image) -> None:
    assert registry.username is not None and registry.password is not None
    cfg = write_docker_config(tmp_path / "bad", {registry.host: (registry.username, "not-" + registry.password)})
    ref = parse_registry_ref(f"{registry.host}/{repo_name}:v1")
    with pytest.raises(AuthError, match=f"registry refused the credentials for {registry.host}") as info:
        write_registry(image, ref, context(store), options(cfg))
    assert registry.password not in f"{info.value} {info.value.hint}"
    assert info.value.exit_code == 9
    assert registry.tags(repo_name) == []
    with pytest.raises(AuthError, match=f"{registry.host} requires credentials for {repo_name}"):
        write_registry(image, ref, context(store), options(None))
    assert registry.tags(repo_name) == []


def test_unknown_repository_or_tag_is_not_found(registry: Registry, docker_config: Path, repo_name: str,
                                                store: BlobStore, image: Image) -> None:
    with pytest.raises(NotFoundError, match="was not found on"):
        read_registry(parse_registry_ref(f"{registry.host}/{repo_name}:v1"), context(store), options(docker_config))
    write_registry(image, parse_registry_ref(f"{registry.host}/{repo_name}:v1"), context(store),
                   options(docker_config))
    with pytest.raises(NotFoundError, match="MANIFEST_UNKNOWN") as info:
        read_registry(parse_registry_ref(f"{registry.host}/{repo_name}:v2"), context(store), options(docker_config))
    assert info.value.exit_code == 12


def test_an_unreachable_registry_is_reported_after_retries(store: BlobStore, image: Image) -> None:
    ref = parse_registry_ref(f"127.0.0.1:{free_port()}/nobody/home:v1")
    slept: list[float] = []
    retry = RetryPolicy(attempts=3, base_delay=0.01, sleep=slept.append)
    with pytest.raises(UnreachableError, match=f"cannot reach registry {ref.registry}") as info:
        write_registry(image, ref, context(store), options(None, retry=retry))
    assert len(slept) == 2 and info.value.exit_code == 10


@pytest.mark.parametrize("kinds", [("500", "429", "reset"), ("drop", "reset", "500")])
def test_push_through_a_faulty_network_ends_complete_and_correct(faulty_registry: FaultProxy, registry: Registry,
                                                                 repo_name: str, tmp_path: Path, store: BlobStore,
                                                                 kinds: tuple[str, ...]) -> None:
    faulty_registry.configure(rate=0.25, kinds=kinds)  # type: ignore[arg-type]
    files = {f"layer{i}/f.bin": os.urandom(300_000 * (i + 1)) for i in range(5)}
    image = make_image(tmp_path, store, files)
    cfg = faulty_registry.docker_config_dir(tmp_path / "cfg")
    ref = parse_registry_ref(f"{faulty_registry.host}/{repo_name}:v1")
    retry = RetryPolicy(attempts=10, base_delay=0.01, max_delay=0.2)
    pinned = write_registry(image, ref, context(store), options(cfg, retry=retry))
    assert pinned.digest == image.digest
    assert faulty_registry.stats.faults > 0
    assert registry.manifest_digest(repo_name, "v1") == str(image.digest)
    for layer in image.layers:
        with layer.open() as f:
            assert registry.blob(repo_name, str(layer.digest)) == f.read()
    pulled = read_registry(ref, context(BlobStore(tmp_path / "pull")), options(cfg, retry=retry))
    assert pull_bytes(pulled) == pull_bytes(image)


def test_indexes_choose_amd64_by_default_or_the_platform_asked_for(registry: Registry, docker_config: Path,
                                                                   repo_name: str, tmp_path: Path,
                                                                   store: BlobStore) -> None:
    digests = {}
    for plat in (Platform("linux", "amd64"), Platform("linux", "arm64")):
        img = make_image(tmp_path, store, {"arch.txt": str(plat).encode()}, platform=plat)
        write_registry(img, parse_registry_ref(f"{registry.host}/{repo_name}:{plat.architecture}"),
                       context(store), options(docker_config))
        digests[plat.architecture] = (img.digest, img)
    index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [
        {**img.descriptor().to_json(), "platform": img.platform.to_json()} for _, img in digests.values()]}
    resp = registry.request("PUT", f"/v2/{repo_name}/manifests/multi", data=json.dumps(index).encode(),
                            headers={"Content-Type": OCI_INDEX})
    assert resp.status == 201, resp.body
    ref = parse_registry_ref(f"{registry.host}/{repo_name}:multi")
    assert read_registry(ref, context(store), options(docker_config)).digest == digests["amd64"][0]
    arm = read_registry(ref, context(store, platform=Platform("linux", "arm64")), options(docker_config))
    assert arm.digest == digests["arm64"][0] and arm.platform == Platform("linux", "arm64")
    with pytest.raises(NotFoundError, match="no image for linux/riscv64 .*linux/amd64, linux/arm64"):
        read_registry(ref, context(store, platform=Platform("linux", "riscv64")), options(docker_config))


def test_docker_v2_manifests_keep_their_media_type(registry: Registry, docker_config: Path, repo_name: str,
                                                   store: BlobStore, image: Image) -> None:
    docker_image = make_raw_image(image.config, image.layers, DOCKER_MANIFEST)
    ref = parse_registry_ref(f"{registry.host}/{repo_name}:docker")
    write_registry(docker_image, ref, context(store), options(docker_config))
    raw, media_type, digest = registry.manifest(repo_name, "docker")
    assert (raw, media_type, digest) == (docker_image.manifest_bytes, DOCKER_MANIFEST, str(docker_image.digest))
    info = skopeo_inspect(f"docker://{ref}", creds=registry.creds, raw=True)
    assert info["mediaType"] == DOCKER_MANIFEST
    assert read_registry(ref, context(store), options(docker_config)).manifest_bytes == docker_image.manifest_bytes


def test_uploads_stream_without_holding_a_layer_in_memory(registry: Registry, docker_config: Path, repo_name: str,
                                                          tmp_path: Path, store: BlobStore) -> None:
    size = 48 << 20
    big = make_image(tmp_path, store, {"big.bin": os.urandom(size)})
    assert big.layers[0].size > size
    ref = parse_registry_ref(f"{registry.host}/{repo_name}:big")
    tracemalloc.start()
    try:
        write_registry(big, ref, context(store), options(docker_config))
        pulled = read_registry(ref, context(BlobStore(tmp_path / "pull")), options(docker_config))
        with pulled.layers[0].open() as f:
            while f.read(1 << 20):
                pass
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 16 << 20, f"peak Python allocation {peak / 2**20:.1f} MiB for a {size >> 20} MiB layer"


def test_progress_reports_bytes_as_they_are_sent(registry: Registry, docker_config: Path, repo_name: str,
                                                 store: BlobStore, image: Image) -> None:
    progress = Progress()
    ctx = Context(store, progress=progress)
    write_registry(image, parse_registry_ref(f"{registry.host}/{repo_name}:p"), ctx, options(docker_config))
    big = max(image.layers, key=lambda layer: layer.size)
    events = [(done, total) for what, done, total in progress.events if what == f"upload {big.digest.short}"]
    assert events[-1] == (big.size, big.size) and len(events) >= 2
    assert [d for d, _ in events] == sorted(d for d, _ in events)


def test_appending_to_a_pulled_image_uploads_only_the_new_layer(registry: Registry, docker_config: Path,
                                                                repo_name: str, tmp_path: Path,
                                                                store: BlobStore, image: Image) -> None:
    base_ref = parse_registry_ref(f"{registry.host}/{repo_name}/run:1")
    write_registry(image, base_ref, context(store), options(docker_config))
    base = read_registry(base_ref, context(BlobStore(tmp_path / "s2")), options(docker_config))
    extra = make_image(tmp_path, store, {"extra.txt": b"new"}).layers
    app = append_layers(base, extra)
    result = push_to_registry(app, parse_registry_ref(f"{registry.host}/{repo_name}/app:1"),
                              context(store), options(docker_config))
    assert result.count("mounted") == 3 and result.count("uploaded") == 2  # new config + new layer
    assert registry.manifest_digest(f"{repo_name}/app", "1") == str(app.digest)
