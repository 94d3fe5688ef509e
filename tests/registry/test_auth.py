"""Auth flows against the in-memory fake: Basic, Bearer scopes, token reuse/expiry, refresh tokens."""

from __future__ import annotations

import base64
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import pytest

from builder.errors import AuthError
from builder.image.blobs import BlobStore
from builder.reference import parse_registry_ref
from builder.registry import ANONYMOUS, Credential, push_to_registry, read_registry
from builder.registry.auth import RegistryAuth, TokenSource
from builder.registry.connect import connect, scopes_for
from builder.registry.retry import RetryPolicy
from tests.registry.fakeregistry import FakeRegistry, bearer
from tests.registry.helpers import context, fake_options, make_image

ALICE = Credential("alice", "wonderland")


@pytest.fixture
def store(tmp_path: Path) -> BlobStore:
    return BlobStore(tmp_path / "store")


def push(fake: FakeRegistry, tmp_path: Path, store: BlobStore, ref: str = "registry.test/team/app:v1",
         cred: Credential | None = ALICE) -> str:
    image = make_image(tmp_path, store, {"app/a.txt": b"a" * 1000, "app/b.txt": b"b" * 5000})
    result = push_to_registry(image, parse_registry_ref(ref), context(store), fake_options(fake, cred))
    assert str(result.ref.digest) == str(image.digest)
    return str(image.digest)


def test_bearer_token_is_requested_with_service_scope_and_basic_credentials(tmp_path: Path, store: BlobStore) -> None:
    fake = bearer()
    push(fake, tmp_path, store)
    (token_req,) = fake.requests("GET", host="auth.test")
    assert token_req.url.params.get("service") == "registry.test"
    assert token_req.url.params.get_list("scope") == ["repository:team/app:pull,push"]
    assert token_req.url.params.get("account") == "alice"
    assert token_req.headers["authorization"] == "Basic " + base64.b64encode(b"alice:wonderland").decode()


def test_one_token_serves_a_whole_parallel_push_and_a_pull_asks_only_for_pull(tmp_path: Path,
                                                                               store: BlobStore) -> None:
    fake = bearer()
    digest = push(fake, tmp_path, store)
    assert len(fake.requests(host="auth.test")) == 1
    assert len([r for r in fake.log if r.url.host == "registry.test"]) >= 8  # ping, HEADs, POSTs, PUTs, manifest
    image = read_registry(parse_registry_ref(f"registry.test/team/app@{digest}"), context(store),
                          fake_options(fake, ALICE))
    assert str(image.digest) == digest
    pull_token = fake.requests(host="auth.test")[-1]
    assert pull_token.url.params.get_list("scope") == ["repository:team/app:pull"]


def test_a_new_401_fetches_a_new_token_once(tmp_path: Path, store: BlobStore) -> None:
    fake = bearer()
    digest = push(fake, tmp_path, store)
    repo = connect(parse_registry_ref("registry.test/team/app:v1"), fake_options(fake, ALICE), ())
    data, _ = repo.manifest("v1")
    fake.revoke_tokens()  # as if the token expired early on the server's clock
    assert repo.manifest(digest)[0] == data
    assert len(fake.requests(host="auth.test")) == 3  # push, first read, after revocation


def test_tokens_are_refreshed_before_they_expire(tmp_path: Path) -> None:
    fake = bearer(expires_in=300)
    now = [1000.0]
    token_http = httpx.Client(transport=fake.transport())
    tokens = TokenSource(token_http, ALICE, fake.host, RetryPolicy(), clock=lambda: now[0])
    auth = RegistryAuth(ALICE, scopes_for("team/app", push=False), tokens, clock=lambda: now[0])
    http = httpx.Client(transport=fake.transport(), auth=auth)
    for _ in range(3):
        assert http.get("https://registry.test/v2/").status_code == 200
    assert len(fake.requests(host="auth.test")) == 1
    now[0] += 295  # within the 10 s safety margin before expiry
    assert http.get("https://registry.test/v2/").status_code == 200
    assert len(fake.requests(host="auth.test")) == 2
    challenges = [r for r in fake.log if r.url.host == "registry.test" and "authorization" not in r.headers]
    assert len(challenges) == 1  # the refresh happened up front, not after a 401


def test_missing_expires_in_means_sixty_seconds(tmp_path: Path) -> None:
    fake = bearer(expires_in=None)
    now = [0.0]
    tokens = TokenSource(httpx.Client(transport=fake.transport()), ALICE, fake.host, RetryPolicy(),
                         clock=lambda: now[0])
    auth = RegistryAuth(ALICE, ("repository:x:pull",), tokens, clock=lambda: now[0])
    http = httpx.Client(transport=fake.transport(), auth=auth)
    http.get("https://registry.test/v2/")
    now[0] = 45.0
    http.get("https://registry.test/v2/")
    assert len(fake.requests(host="auth.test")) == 1
    now[0] = 55.0
    http.get("https://registry.test/v2/")
    assert len(fake.requests(host="auth.test")) == 2


def test_identity_token_is_used_as_an_oauth2_refresh_token(tmp_path: Path, store: BlobStore) -> None:
    fake = bearer()
    push(fake, tmp_path, store, cred=Credential(identity_token="refresh-abc"))
    assert fake.requests("GET", host="auth.test") == []
    (post,) = fake.requests("POST", host="auth.test")
    form = parse_qs(post.content.decode())
    assert form["grant_type"] == ["refresh_token"] and form["refresh_token"] == ["refresh-abc"]
    assert form["service"] == ["registry.test"] and form["scope"] == ["repository:team/app:pull,push"]
    assert "authorization" not in post.headers


def test_mount_sources_are_asked_for_pull_scope() -> None:
    assert scopes_for("team/app", push=True, mount_from={"base/node", "team/app", "base/debian"}) == (
        "repository:team/app:pull,push", "repository:base/debian:pull", "repository:base/node:pull")


@pytest.mark.parametrize("cred", [Credential("alice", "wrong"), Credential(identity_token="stale")])
def test_refused_credentials_are_an_auth_error_and_nothing_is_tagged(tmp_path: Path, store: BlobStore,
                                                                     cred: Credential) -> None:
    fake = bearer()
    with pytest.raises(AuthError, match="registry refused the credentials for registry.test") as info:
        push(fake, tmp_path, store, cred=cred)
    assert fake.manifests == {} and fake.blobs == {}
    assert "wrong" not in str(info.value) + info.value.hint and "stale" not in str(info.value) + info.value.hint


def test_anonymous_push_is_told_to_log_in(tmp_path: Path, store: BlobStore) -> None:
    fake = bearer()
    with pytest.raises(AuthError, match="registry.test requires credentials for team/app") as info:
        push(fake, tmp_path, store, cred=None)
    assert "docker login registry.test" in info.value.hint
    assert fake.manifests == {}


def test_anonymous_pull_of_a_public_repository_uses_an_anonymous_token(tmp_path: Path, store: BlobStore) -> None:
    fake = bearer()
    digest = push(fake, tmp_path, store)
    image = read_registry(parse_registry_ref("registry.test/team/app:v1"), context(store), fake_options(fake, None))
    assert str(image.digest) == digest
    assert "authorization" not in fake.requests(host="auth.test")[-1].headers


def test_basic_auth_is_sent_after_the_first_challenge(tmp_path: Path, store: BlobStore) -> None:
    fake = FakeRegistry(auth="basic")
    push(fake, tmp_path, store)
    unauthenticated = [r for r in fake.log if "authorization" not in r.headers]
    assert [r.url.path for r in unauthenticated] == ["/v2/"]
    with pytest.raises(AuthError, match="refused the credentials"):
        push(fake, tmp_path, store, ref="registry.test/team/other:v1", cred=Credential("alice", "nope"))
    with pytest.raises(AuthError, match="requires credentials"):
        push(fake, tmp_path, store, ref="registry.test/team/other:v1", cred=ANONYMOUS)
    assert ("team/other", "v1") not in fake.manifests


def test_403_is_an_auth_error_saying_denied(tmp_path: Path, store: BlobStore) -> None:
    fake = FakeRegistry()
    fake.inject("POST", "/blobs/uploads/", httpx.Response(403, json={"errors": [{"code": "DENIED",
                                                                                 "message": "requested access to the resource is denied"}]}))
    with pytest.raises(AuthError, match="registry.test denied access to team/app .*DENIED"):
        push(fake, tmp_path, store)


def test_a_token_expiring_mid_upload_restarts_the_session_with_a_new_token(tmp_path: Path,
                                                                            store: BlobStore) -> None:
    fake = bearer()
    fake.revoke_on = ("PATCH", "/blobs/uploads/")  # the streamed body cannot be replayed after the 401
    image = make_image(tmp_path, store, {"a": b"a" * 100_000})
    result = push_to_registry(image, parse_registry_ref("registry.test/team/app:v1"), context(store),
                              fake_options(fake, ALICE, parallel_uploads=1))
    assert result.count("uploaded") == 2
    assert len(fake.requests(host="auth.test")) == 2
    assert len(fake.requests("POST", path="/blobs/uploads/")) == 3  # one session was restarted
    assert fake.manifests[("team/app", "v1")][0] == image.manifest_bytes
