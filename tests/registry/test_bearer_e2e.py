"""Bearer-token auth against a real distribution 2.8 configured like Docker Hub (`auth.token`)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from builder.errors import AuthError
from builder.image.blobs import BlobStore
from builder.image.image import Image
from builder.reference import parse_registry_ref
from builder.registry import push_to_registry, read_registry, write_registry
from tests.infra.oci import skopeo_inspect
from tests.registry.helpers import context, make_image, options
from tests.registry.tokenauth import TokenRegistry

pytestmark = pytest.mark.e2e


def config_dir(dest: Path, host: str, entry: dict[str, str]) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "config.json").write_text(json.dumps({"auths": {host: entry}}))
    return dest


@pytest.fixture
def creds(token_registry: TokenRegistry, tmp_path: Path) -> Path:
    return config_dir(tmp_path / "cfg", f"http://{token_registry.host}/v2/",
                      {"username": token_registry.username, "password": token_registry.password})


@pytest.fixture
def store(tmp_path: Path) -> BlobStore:
    return BlobStore(tmp_path / "store")


@pytest.fixture
def image(tmp_path: Path, store: BlobStore) -> Image:
    return make_image(tmp_path, store, {"a.bin": os.urandom(300_000), "b.txt": b"bee\n"})


def test_push_and_pull_with_one_token_each(token_registry: TokenRegistry, creds: Path, repo_name: str,
                                           store: BlobStore, image: Image) -> None:
    tokens = token_registry.tokens
    before = len(tokens.requests)
    ref = parse_registry_ref(f"{token_registry.host}/{repo_name}:v1")
    pinned = write_registry(image, ref, context(store), options(creds))
    assert pinned.digest == image.digest
    assert token_registry.manifest_digest(repo_name, "v1") == str(image.digest)
    (push_token,) = tokens.requests[before:]
    assert push_token.scopes == (f"repository:{repo_name}:pull,push",) and push_token.account == "alice"

    pulled = read_registry(ref, context(BlobStore(store.root.parent / "p")), options(creds))
    for a, b in zip(pulled.layers, image.layers):
        with a.open() as fa, b.open() as fb:
            assert fa.read() == fb.read()
    (pull_token,) = tokens.requests[before + 1:]
    assert pull_token.scopes == (f"repository:{repo_name}:pull",)

    info = skopeo_inspect(f"docker://{ref}", creds=f"{token_registry.username}:{token_registry.password}")
    assert info["Digest"] == str(image.digest)


def test_identity_token_is_exchanged_with_a_refresh_grant(token_registry: TokenRegistry, repo_name: str,
                                                          tmp_path: Path, store: BlobStore, image: Image) -> None:
    cfg = config_dir(tmp_path / "id", token_registry.host,
                     {"auth": "", "identitytoken": token_registry.identity_token})
    before = len(token_registry.tokens.requests)
    write_registry(image, parse_registry_ref(f"{token_registry.host}/{repo_name}:id"), context(store), options(cfg))
    grants = {r.grant for r in token_registry.tokens.requests[before:]}
    assert grants == {"refresh_token"}
    assert token_registry.manifest_digest(repo_name, "id") == str(image.digest)


def test_wrong_password_fails_at_the_token_server_and_tags_nothing(token_registry: TokenRegistry, repo_name: str,
                                                                   tmp_path: Path, store: BlobStore,
                                                                   image: Image) -> None:
    cfg = config_dir(tmp_path / "bad", token_registry.host, {"username": "alice", "password": "wrong"})
    with pytest.raises(AuthError, match=f"registry refused the credentials for {token_registry.host}"):
        write_registry(image, parse_registry_ref(f"{token_registry.host}/{repo_name}:v1"), context(store),
                       options(cfg))
    assert token_registry.manifest_digest(repo_name, "v1") is None


def test_anonymous_clients_may_pull_but_not_push(token_registry: TokenRegistry, creds: Path, repo_name: str,
                                                 store: BlobStore, image: Image) -> None:
    ref = parse_registry_ref(f"{token_registry.host}/{repo_name}:v1")
    write_registry(image, ref, context(store), options(creds))
    assert read_registry(ref, context(store), options(None)).digest == image.digest
    with pytest.raises(AuthError, match=f"{token_registry.host} requires credentials for {repo_name}"):
        write_registry(image, parse_registry_ref(f"{token_registry.host}/{repo_name}:anon"), context(store),
                       options(None))
    assert token_registry.manifest_digest(repo_name, "anon") is None


def test_mounting_asks_for_pull_on_the_source_and_mounts(token_registry: TokenRegistry, creds: Path,
                                                         repo_name: str, store: BlobStore, image: Image) -> None:
    src = parse_registry_ref(f"{token_registry.host}/{repo_name}/base:1")
    write_registry(image, src, context(store), options(creds))
    pulled = read_registry(src, context(store), options(creds))
    before = len(token_registry.tokens.requests)
    result = push_to_registry(pulled, parse_registry_ref(f"{token_registry.host}/{repo_name}/app:1"),
                              context(store), options(creds))
    assert result.count("mounted") == 3
    (token,) = token_registry.tokens.requests[before:]
    assert token.scopes == (f"repository:{repo_name}/app:pull,push", f"repository:{repo_name}/base:pull")
