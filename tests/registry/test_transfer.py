"""Push and pull behaviour against the in-memory fake: Locations, redirects, mounts, retries, integrity."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from builder.errors import IntegrityError, NotFoundError, RegistryError, UnreachableError
from builder.image.blobs import BlobStore
from builder.image.digest import Digest
from builder.image.image import Image
from builder.image.layer import Layer, Origin
from builder.image.media import DOCKER_MANIFEST_LIST, OCI_INDEX, Platform
from builder.reference import parse_registry_ref
from builder.registry import push_to_registry, read_registry
from builder.registry.connect import connect, uses_plain_http
from builder.registry.repository import resolve_location
from builder.registry.retry import RetryPolicy
from tests.registry.fakeregistry import FakeRegistry, bearer
from tests.registry.helpers import FAST_RETRY, Progress, context, fake_options, make_image
from tests.registry.test_auth import ALICE

REF = parse_registry_ref("registry.test/team/app:v1")


@pytest.fixture
def store(tmp_path: Path) -> BlobStore:
    return BlobStore(tmp_path / "store")


@pytest.fixture
def image(tmp_path: Path, store: BlobStore) -> Image:
    return make_image(tmp_path, store, {"a.bin": bytes(range(256)) * 4000, "b.bin": b"b" * 70_000})


class BrokenStream(httpx.SyncByteStream):
    """A body that stops with a reset after `data`."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def __iter__(self) -> Iterator[bytes]:
        yield self.data
        raise httpx.ReadError("connection reset by peer")


@pytest.mark.parametrize("request_url, location, expected", [
    ("https://r.test/v2/a/blobs/uploads/", "/v2/a/blobs/uploads/u1?_state=x%2By",
     "https://r.test/v2/a/blobs/uploads/u1?_state=x%2By"),
    ("https://r.test/v2/a/blobs/uploads/", "u1?_state=s", "https://r.test/v2/a/blobs/uploads/u1?_state=s"),
    ("https://r.test/v2/a/blobs/uploads/?mount=x&from=y", "https://upload.other:8443/u/1?sig=abc",
     "https://upload.other:8443/u/1?sig=abc"),
    ("http://127.0.0.1:5000/v2/a/blobs/uploads/", "//127.0.0.1:5000/v2/a/blobs/uploads/u2",
     "http://127.0.0.1:5000/v2/a/blobs/uploads/u2"),
])
def test_locations_are_resolved_against_the_request_not_rebuilt(request_url: str, location: str,
                                                                 expected: str) -> None:
    resolved = resolve_location(request_url, location)
    assert str(resolved) == expected
    with_digest = resolved.copy_merge_params({"digest": "sha256:" + "0" * 64})
    assert str(with_digest).startswith(expected) and with_digest.params["digest"] == "sha256:" + "0" * 64


def test_plain_http_only_for_loopback_and_insecure_registries() -> None:
    assert uses_plain_http("127.0.0.1:5000", ())
    assert uses_plain_http("localhost:5000", ()) and uses_plain_http("[::1]:5000", ())
    assert uses_plain_http("reg.lan:5000", {"reg.lan:5000"}) and uses_plain_http("reg.lan:5000", {"reg.lan"})
    assert not uses_plain_http("reg.lan:5000", {"other.lan"})
    assert not uses_plain_http("ghcr.io", ())
    assert connect(parse_registry_ref("127.0.0.2:5000/a"), fake_options(FakeRegistry()), ()).client.base_url \
        == "http://127.0.0.2:5000"
    assert connect(parse_registry_ref("nginx"), fake_options(FakeRegistry()), ()).client.base_url \
        == "https://registry-1.docker.io"


def test_push_then_pull_with_storage_redirects_and_absolute_upload_locations(store: BlobStore, image: Image) -> None:
    fake = bearer(storage_host="storage.test", upload_host="uploads.test")
    progress = Progress()
    result = push_to_registry(image, REF, context(store, progress=progress), fake_options(fake, ALICE))
    assert result.count("uploaded") == 3
    patches, puts = fake.requests("PATCH", host="uploads.test"), fake.requests("PUT", host="uploads.test")
    assert len(patches) == len(puts) == 3
    assert all(r.url.params["_state"] == "opaque+state" for r in patches + puts)
    for patch in patches:  # streamed with a length, not chunked and not buffered by us
        assert "transfer-encoding" not in patch.headers and int(patch.headers["content-length"]) > 0
    assert all(put.content == b"" and put.url.params["digest"].startswith("sha256:") for put in puts)
    assert all("authorization" not in r.headers for r in patches + puts)  # the token is for registry.test only
    assert progress.kinds("upload") == {layer.digest.short for layer in image.layers} | {
        image.config_descriptor.digest.short}
    manifest_put = fake.requests("PUT", host="registry.test", path="/manifests/")[-1]
    assert manifest_put.content == image.manifest_bytes
    assert manifest_put.headers["content-type"] == image.media_type

    pulled = read_registry(REF, context(BlobStore(store.root / "other")), fake_options(fake, ALICE))
    assert pulled.manifest_bytes == image.manifest_bytes and pulled.config_bytes == image.config_bytes
    for mine, theirs in zip(image.layers, pulled.layers):
        assert theirs.origin == Origin("registry.test", "team/app")
        assert theirs.diff_id == mine.diff_id
        with mine.open() as a, theirs.open() as b:
            assert a.read() == b.read()
    storage = fake.requests("GET", host="storage.test")
    assert storage and all("authorization" not in r.headers for r in storage)


def test_the_manifest_is_put_only_after_every_blob(store: BlobStore, image: Image) -> None:
    fake = FakeRegistry()
    push_to_registry(image, REF, context(store), fake_options(fake))
    methods = [(r.method, r.url.path) for r in fake.log]
    manifest_at = methods.index(("PUT", "/v2/team/app/manifests/v1"))
    assert manifest_at == len(methods) - 1
    assert sum(1 for m, p in methods[:manifest_at] if m == "PUT") == 3


def test_second_push_uploads_nothing(store: BlobStore, image: Image) -> None:
    fake = FakeRegistry()
    push_to_registry(image, REF, context(store), fake_options(fake))
    before = len(fake.log)
    progress = Progress()
    again = push_to_registry(image, REF, context(store, progress=progress), fake_options(fake))
    assert again.count("exists") == 3 and progress.kinds("upload") == set()
    assert {r.method for r in fake.log[before:]} == {"GET", "HEAD", "PUT"}
    assert len(fake.requests("POST")) == 3


def test_layers_from_another_repository_are_mounted_or_uploaded_into_the_session_the_mount_opened(
        store: BlobStore, image: Image) -> None:
    fake = FakeRegistry()
    src = parse_registry_ref("registry.test/base/run:1")
    push_to_registry(image, src, context(store), fake_options(fake))
    pulled = read_registry(src, context(store), fake_options(fake))
    posts_before = len(fake.requests("POST"))
    result = push_to_registry(pulled, REF, context(store), fake_options(fake))
    assert result.count("mounted") == 3  # the config too: it lives beside the layers it came with
    mounts = fake.requests("POST")[posts_before:]
    assert [r.url.params.get("from") for r in mounts] == ["base/run"] * 3
    assert len(fake.requests("PUT", path="/blobs/uploads/")) == 3  # all from the first push

    # The origin claims a repository that lacks the blob: 202, and that session is used.
    liar = tuple(Layer(layer.descriptor, layer.diff_id, layer.opener, Origin("registry.test", "base/empty"))
                 for layer in image.layers)
    other = parse_registry_ref("registry.test/team/third:v1")
    result = push_to_registry(Image(image.manifest_bytes, image.config_bytes, liar), other, context(store),
                              fake_options(fake))
    assert result.count("uploaded") == 3
    assert len([r for r in fake.requests("POST") if "team/third" in r.url.path]) == 3  # no second POST
    assert fake.manifests[("team/third", "v1")][0] == image.manifest_bytes


@pytest.mark.parametrize("fault", [
    httpx.Response(500),
    httpx.Response(502, text="bad gateway"),
    httpx.Response(404, json={"errors": [{"code": "BLOB_UPLOAD_UNKNOWN"}]}),
    httpx.RemoteProtocolError("peer closed connection without sending complete message body"),
    httpx.WriteError("broken pipe"),
])
@pytest.mark.parametrize("method", ["PATCH", "PUT"])
def test_a_failed_upload_restarts_the_whole_session(store: BlobStore, image: Image, fault: object,
                                                    method: str) -> None:
    fake = FakeRegistry()
    fake.inject(method, "/blobs/uploads/", fault)  # type: ignore[arg-type]
    result = push_to_registry(image, REF, context(store), fake_options(fake))
    assert result.count("uploaded") == 3
    assert len(fake.requests("POST")) == 4  # one blob needed a second session
    assert fake.manifests[("team/app", "v1")][0] == image.manifest_bytes


def test_429_waits_as_long_as_retry_after_says(store: BlobStore, image: Image) -> None:
    slept: list[float] = []
    fake = FakeRegistry()
    fake.inject("HEAD", "/blobs/", httpx.Response(429, headers={"Retry-After": "3"},
                                                  json={"errors": [{"code": "TOOMANYREQUESTS"}]}))
    retry = RetryPolicy(attempts=3, base_delay=0.001, sleep=slept.append)
    push_to_registry(image, REF, context(store), fake_options(fake, retry=retry))
    assert slept == [3.0]


def test_persistent_rate_limiting_ends_in_a_temporary_registry_error(store: BlobStore, image: Image) -> None:
    fake = FakeRegistry()
    for _ in range(3):
        fake.inject("GET", "/v2/", httpx.Response(429, json={"errors": [{"code": "TOOMANYREQUESTS"}]}))
    with pytest.raises(RegistryError, match="429") as info:
        push_to_registry(image, REF, context(store), fake_options(fake, retry=RetryPolicy(
            attempts=3, sleep=lambda s: None)))
    assert info.value.temporary and info.value.codes == ("TOOMANYREQUESTS",)


def test_an_unreachable_registry_is_retried_then_reported(store: BlobStore, image: Image) -> None:
    fake = FakeRegistry()
    for _ in range(10):
        fake.inject("GET", "/v2/", httpx.ConnectError("[Errno 111] Connection refused"))
    with pytest.raises(UnreachableError, match="cannot reach registry registry.test: .*refused"):
        push_to_registry(image, REF, context(store), fake_options(fake, retry=RetryPolicy(
            attempts=4, sleep=lambda s: None)))
    assert len(fake.log) == 4


def test_untrusted_tls_is_not_retried(store: BlobStore, image: Image) -> None:
    fake = FakeRegistry()
    fake.inject("GET", "/v2/", httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] self-signed certificate"))
    with pytest.raises(UnreachableError, match="TLS certificate of registry.test is not trusted") as info:
        push_to_registry(image, REF, context(store), fake_options(fake))
    assert "SSL_CERT_FILE" in info.value.hint and len(fake.log) == 1


def test_a_registry_that_rewrites_the_manifest_is_caught(store: BlobStore, image: Image) -> None:
    fake = FakeRegistry()
    fake.inject("PUT", "/manifests/", httpx.Response(201, headers={"Docker-Content-Digest": "sha256:" + "1" * 64}))
    with pytest.raises(IntegrityError, match="stored the manifest as sha256:1111"):
        push_to_registry(image, REF, context(store), fake_options(fake))


def test_a_corrupt_local_blob_is_never_committed(tmp_path: Path, store: BlobStore, image: Image) -> None:
    fake = FakeRegistry()
    big = make_image(tmp_path, store, {"big.bin": bytes(range(256)) * 40_000})
    layer = big.layers[0]
    evil = Path(tmp_path / "evil")
    with layer.open() as f:
        good = f.read()
    evil.write_bytes(good[:-1] + bytes([good[-1] ^ 0xFF]))
    broken = Layer(layer.descriptor, layer.diff_id, lambda: open(evil, "rb"))
    with pytest.raises(IntegrityError, match="local copy of blob .* does not match"):
        push_to_registry(Image(big.manifest_bytes, big.config_bytes, (broken,)), REF, context(store),
                         fake_options(fake, chunk_size=1 << 16))
    assert str(layer.digest) not in fake.blobs and fake.manifests == {}


def test_pushing_to_a_digest_that_is_not_the_images_is_refused(store: BlobStore, image: Image) -> None:
    from builder.errors import UsageError
    with pytest.raises(UsageError):
        push_to_registry(image, REF.with_digest(Digest("sha256", "2" * 64)), context(store),
                         fake_options(FakeRegistry()))


def test_push_by_digest(store: BlobStore, image: Image) -> None:
    fake = FakeRegistry()
    result = push_to_registry(image, REF.with_digest(image.digest), context(store), fake_options(fake))
    assert str(result.ref) == f"registry.test/team/app@{image.digest}"
    assert fake.requests("PUT", path=f"/manifests/{image.digest}")


def test_unknown_tags_and_repositories_are_not_found(store: BlobStore, image: Image) -> None:
    fake = FakeRegistry()
    push_to_registry(image, REF, context(store), fake_options(fake))
    with pytest.raises(NotFoundError, match="manifest team/app:nope was not found on registry.test .*MANIFEST_UNKNOWN"):
        read_registry(parse_registry_ref("registry.test/team/app:nope"), context(store), fake_options(fake))
    with pytest.raises(NotFoundError):
        read_registry(parse_registry_ref("registry.test/no/such"), context(store), fake_options(fake))


def test_a_manifest_that_does_not_match_the_pinned_digest_is_refused(store: BlobStore, image: Image) -> None:
    fake = FakeRegistry()
    push_to_registry(image, REF, context(store), fake_options(fake))
    fake.manifests[("team/app", str(image.digest))] = (image.manifest_bytes + b" ", image.media_type)
    with pytest.raises(IntegrityError, match="does not match its digest"):
        read_registry(REF.with_digest(image.digest), context(store), fake_options(fake))


def test_a_dropped_download_resumes_with_range_and_is_verified(store: BlobStore, image: Image) -> None:
    fake = FakeRegistry()
    push_to_registry(image, REF, context(store), fake_options(fake))
    layer = image.layers[0]
    with layer.open() as f:
        data = f.read()
    fake.inject("GET", f"/blobs/{layer.digest}", httpx.Response(
        200, headers={"Content-Length": str(len(data))}, stream=BrokenStream(data[:1000])))
    pulled = read_registry(REF, context(BlobStore(store.root / "x")), fake_options(fake))
    with pulled.layers[0].open() as f:
        assert f.read() == data
    gets = fake.requests("GET", path=f"/blobs/{layer.digest}")
    assert [g.headers.get("range") for g in gets] == [None, "bytes=1000-"]


def test_a_corrupt_download_raises_at_eof(store: BlobStore, image: Image) -> None:
    fake = FakeRegistry()
    push_to_registry(image, REF, context(store), fake_options(fake))
    layer = image.layers[1]
    with layer.open() as f:
        data = bytearray(f.read())
    data[len(data) // 2] ^= 0xFF
    fake.blobs[str(layer.digest)] = bytes(data)
    pulled = read_registry(REF, context(BlobStore(store.root / "x")), fake_options(fake))
    with pulled.layers[1].open() as f, pytest.raises(IntegrityError, match="does not match its digest"):
        while f.read(4096):
            pass
    fake.blobs[str(layer.digest)] = bytes(data) + b"extra"
    with pulled.layers[1].open() as f, pytest.raises(IntegrityError, match="larger than"):
        f.read()


def test_layers_already_in_the_local_store_are_read_from_disk(store: BlobStore, image: Image) -> None:
    fake = FakeRegistry()
    push_to_registry(image, REF, context(store), fake_options(fake))
    pulled = read_registry(REF, context(store), fake_options(fake))
    for layer in pulled.layers:
        with layer.open() as f:
            f.read()
    assert fake.requests("GET", path="/blobs/sha256") == fake.requests("GET", path=str(image.config_descriptor.digest))


@pytest.mark.parametrize("index_type", [OCI_INDEX, DOCKER_MANIFEST_LIST])
def test_an_index_resolves_to_the_wanted_platform(tmp_path: Path, store: BlobStore, index_type: str) -> None:
    fake = FakeRegistry()
    images = {}
    for plat in (Platform("linux", "amd64"), Platform("linux", "arm64", "v8")):
        img = make_image(tmp_path, store, {"arch": str(plat).encode()}, platform=plat)
        push_to_registry(img, REF.with_digest(img.digest), context(store), fake_options(fake))
        images[plat.architecture] = img
    index = {"schemaVersion": 2, "mediaType": index_type, "manifests": [
        {**img.descriptor().to_json(), "platform": img.platform.to_json()} for img in images.values()]}
    index["manifests"].append({"mediaType": images["amd64"].media_type, "digest": "sha256:" + "3" * 64, "size": 1,
                               "platform": {"os": "unknown", "architecture": "unknown"}})  # an attestation
    fake.manifests[("team/app", "multi")] = (json.dumps(index).encode(), index_type)
    ref = parse_registry_ref("registry.test/team/app:multi")

    default = read_registry(ref, context(store), fake_options(fake))
    assert default.digest == images["amd64"].digest and default.platform == Platform("linux", "amd64")
    arm = read_registry(ref, context(store, platform=Platform("linux", "arm64")), fake_options(fake))
    assert arm.digest == images["arm64"].digest
    with pytest.raises(NotFoundError, match=r"has no image for linux/s390x \(it has linux/amd64, linux/arm64/v8\)"):
        read_registry(ref, context(store, platform=Platform("linux", "s390x")), fake_options(fake))


def test_fast_retry_policy_is_what_the_tests_use() -> None:
    assert FAST_RETRY.base_delay < 0.1  # keeps the fault tests quick


def test_a_resume_that_ignores_range_skips_what_was_already_read(store: BlobStore, image: Image) -> None:
    fake = FakeRegistry()
    push_to_registry(image, REF, context(store), fake_options(fake))
    layer = image.layers[0]
    with layer.open() as f:
        data = f.read()
    path = f"/blobs/{layer.digest}"
    fake.inject("GET", path, httpx.Response(200, headers={"Content-Length": str(len(data))},
                                            stream=BrokenStream(data[:777])))
    fake.inject("GET", path, httpx.Response(200, content=data))  # full body again, Range ignored
    pulled = read_registry(REF, context(BlobStore(store.root / "x")), fake_options(fake))
    with pulled.layers[0].open() as f:
        assert f.read() == data


def test_manifests_without_a_media_type_field_are_read_and_others_refused(store: BlobStore, image: Image) -> None:
    fake = FakeRegistry()
    push_to_registry(image, REF, context(store), fake_options(fake))
    doc = json.loads(image.manifest_bytes)
    del doc["mediaType"]
    bare = json.dumps(doc).encode()
    fake.manifests[("team/app", "bare")] = (bare, "application/vnd.oci.image.manifest.v1+json")
    pulled = read_registry(parse_registry_ref("registry.test/team/app:bare"), context(store), fake_options(fake))
    assert pulled.manifest_bytes == bare and len(pulled.layers) == len(image.layers)

    nested = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [
        {"mediaType": OCI_INDEX, "digest": "sha256:" + "4" * 64, "size": 2, "platform": {"os": "linux",
                                                                                          "architecture": "amd64"}}]}
    inner = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": []}).encode()
    nested["manifests"][0]["digest"] = str(Digest.of(inner))  # type: ignore[index]
    fake.manifests[("team/app", str(Digest.of(inner)))] = (inner, OCI_INDEX)
    fake.manifests[("team/app", "nested")] = (json.dumps(nested).encode(), OCI_INDEX)
    with pytest.raises(RegistryError, match="is a application/vnd.oci.image.index.v1\\+json, which dockless cannot"):
        read_registry(parse_registry_ref("registry.test/team/app:nested"), context(store), fake_options(fake))
    fake.manifests[("team/app", "v1schema")] = (b'{"schemaVersion": 1, "name": "x"}',
                                                "application/vnd.docker.distribution.manifest.v1+prettyjws")
    with pytest.raises(RegistryError, match="not a schema 2"):
        read_registry(parse_registry_ref("registry.test/team/app:v1schema"), context(store), fake_options(fake))
