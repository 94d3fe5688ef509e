"""Credential lookup the way the docker CLI does it: auths, credHelpers, credsStore, Hub aliases."""

from __future__ import annotations

import base64
import json
import os
import stat
from pathlib import Path

import pytest

from builder.errors import AuthError, UsageError
from builder.registry.keychain import ANONYMOUS, DOCKER_HUB_KEY, Credential, Keychain, normalize_host


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def write_config(directory: Path, doc: dict[str, object]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "config.json").write_text(json.dumps(doc))
    return directory


def fake_helper(bin_dir: Path, name: str, answers: dict[str, dict[str, str]], log: Path) -> None:
    """`docker-credential-NAME get`: looks the stdin server URL up in `answers`, logs what it was asked."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    script = bin_dir / f"docker-credential-{name}"
    script.write_text(f"""#!/usr/bin/env python3
import json, sys
answers = {json.dumps(answers)!r}
server = sys.stdin.read().strip()
with open({str(log)!r}, "a") as f:
    f.write(sys.argv[1] + " " + server + "\\n")
found = json.loads(answers).get(server)
if found is None:
    print("credentials not found in native keychain")
    sys.exit(1)
print(json.dumps(found))
""")
    script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


def env_with_path(bin_dir: Path) -> dict[str, str]:
    return {"PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}", "HOME": "/nonexistent"}


@pytest.mark.parametrize("key", ["registry.example:5000", "https://registry.example:5000",
                                 "https://registry.example:5000/v1/", "http://Registry.Example:5000/"])
def test_auth_keys_match_with_or_without_scheme_and_path(tmp_path: Path, key: str) -> None:
    cfg = write_config(tmp_path, {"auths": {key: {"auth": b64("alice:s3cr:et")}}})
    cred = Keychain.from_env({}, cfg).resolve("registry.example:5000")
    assert cred == Credential("alice", "s3cr:et")  # only the first colon separates


@pytest.mark.parametrize("key", [DOCKER_HUB_KEY, "index.docker.io", "docker.io", "registry-1.docker.io"])
@pytest.mark.parametrize("host", ["docker.io", "registry-1.docker.io", "index.docker.io"])
def test_docker_hub_answers_to_all_its_names(tmp_path: Path, key: str, host: str) -> None:
    cfg = write_config(tmp_path, {"auths": {key: {"auth": b64("bob:pw")}}})
    assert Keychain.from_env({}, cfg).resolve(host) == Credential("bob", "pw")


def test_username_password_and_identity_token_entries(tmp_path: Path) -> None:
    cfg = write_config(tmp_path, {"auths": {
        "a.example": {"username": "u", "password": "p"},
        "b.example": {"auth": b64("u2:"), "identitytoken": "refresh-me"},
    }})
    chain = Keychain.from_env({}, cfg)
    assert chain.resolve("a.example") == Credential("u", "p")
    b = chain.resolve("b.example")
    assert b.identity_token == "refresh-me" and not b.has_password and not b.anonymous


def test_nothing_matching_is_anonymous(tmp_path: Path) -> None:
    cfg = write_config(tmp_path, {"auths": {"other.example": {"auth": b64("u:p")}}})
    assert Keychain.from_env({}, cfg).resolve("mine.example") is ANONYMOUS
    assert Keychain.from_env({}, tmp_path / "missing").resolve("mine.example") is ANONYMOUS
    assert ANONYMOUS.anonymous


def test_where_the_config_comes_from(tmp_path: Path) -> None:
    explicit = write_config(tmp_path / "explicit", {"auths": {"h": {"auth": b64("explicit:1")}}})
    env_dir = write_config(tmp_path / "env", {"auths": {"h": {"auth": b64("env:1")}}})
    home = tmp_path / "home"
    write_config(home / ".docker", {"auths": {"h": {"auth": b64("home:1")}}})
    environ = {"DOCKER_CONFIG": str(env_dir), "HOME": str(home)}
    assert Keychain.from_env(environ, explicit).resolve("h").username == "explicit"
    assert Keychain.from_env(environ, explicit / "config.json").resolve("h").username == "explicit"
    assert Keychain.from_env(environ).resolve("h").username == "env"
    assert Keychain.from_env({"HOME": str(home)}).resolve("h").username == "home"


def test_cred_helper_for_the_host_comes_first(tmp_path: Path) -> None:
    log = tmp_path / "helper.log"
    fake_helper(tmp_path / "bin", "test", {"registry.example": {"Username": "helper", "Secret": "hs"}}, log)
    cfg = write_config(tmp_path / "cfg", {
        "credHelpers": {"registry.example": "test"},
        "credsStore": "nonexistent-store",
        "auths": {"registry.example": {"auth": b64("file:fs")}},
    })
    chain = Keychain.from_env(env_with_path(tmp_path / "bin"), cfg)
    assert chain.resolve("registry.example") == Credential("helper", "hs")
    assert log.read_text() == "get registry.example\n"


def test_creds_store_then_auths_and_token_usernames(tmp_path: Path) -> None:
    log = tmp_path / "helper.log"
    fake_helper(tmp_path / "bin", "store", {
        DOCKER_HUB_KEY: {"Username": "<token>", "Secret": "identity"},
        "known.example": {"Username": "s", "Secret": "ss"},
    }, log)
    cfg = write_config(tmp_path / "cfg", {"credsStore": "store",
                                          "auths": {"fallback.example": {"auth": b64("f:fp")}}})
    chain = Keychain.from_env(env_with_path(tmp_path / "bin"), cfg)
    assert chain.resolve("docker.io") == Credential(identity_token="identity")
    assert chain.resolve("known.example") == Credential("s", "ss")
    assert chain.resolve("fallback.example") == Credential("f", "fp")  # store had nothing
    assert chain.resolve("unknown.example") is ANONYMOUS
    assert log.read_text().splitlines()[0] == f"get {DOCKER_HUB_KEY}"


def test_missing_helper_for_the_host_is_a_clear_error(tmp_path: Path) -> None:
    cfg = write_config(tmp_path, {"credHelpers": {"registry.example": "gone"}})
    with pytest.raises(AuthError, match="docker-credential-gone .* not installed"):
        Keychain.from_env({"PATH": str(tmp_path)}, cfg).resolve("registry.example")


def test_missing_creds_store_falls_back_to_auths(tmp_path: Path) -> None:
    cfg = write_config(tmp_path, {"credsStore": "desktop", "auths": {"h.example": {"auth": b64("u:p")}}})
    chain = Keychain.from_env({"PATH": str(tmp_path)}, cfg)
    assert chain.resolve("h.example") == Credential("u", "p")
    other = chain.resolve("other.example")  # anonymous, but remembers why, for the 401 that may follow
    assert other.anonymous and other.missing_helper == "docker-credential-desktop"


def test_a_401_after_a_missing_creds_store_names_the_helper(tmp_path: Path) -> None:
    """Trial bug 9: `"credsStore": "nope"` without docker-credential-nope said only "docker login"."""
    import httpx

    from builder.registry.responses import status_error

    cfg = write_config(tmp_path, {"credsStore": "nope"})
    cred = Keychain.from_env({"PATH": str(tmp_path)}, cfg).resolve("127.0.0.1:5932")
    response = httpx.Response(401, request=httpx.Request("GET", "http://127.0.0.1:5932/v2/"))
    error = status_error(response, host="127.0.0.1:5932", what="/v2/", repository="t/app",
                         anonymous=cred.anonymous, missing_helper=cred.missing_helper)
    assert isinstance(error, AuthError) and error.exit_code == 9
    assert "credential helper docker-credential-nope" in error.message and "not installed" in error.message
    assert "install docker-credential-nope" in error.hint
    plain = status_error(response, host="127.0.0.1:5932", what="/v2/", anonymous=True)
    assert "docker login" in plain.hint and "credential helper" not in plain.message


def test_a_failing_helper_is_an_auth_error(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "docker-credential-broken"
    script.write_text("#!/bin/sh\necho 'keyring is locked' >&2\nexit 3\n")
    script.chmod(0o755)
    cfg = write_config(tmp_path / "cfg", {"credHelpers": {"h.example": "broken"}})
    with pytest.raises(AuthError, match="keyring is locked"):
        Keychain.from_env(env_with_path(bin_dir), cfg).resolve("h.example")


def test_malformed_configs_are_usage_errors(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{not json")
    with pytest.raises(UsageError, match="not valid JSON"):
        Keychain.from_env({}, tmp_path)
    write_config(tmp_path, {"auths": {"h": {"auth": b64("no-colon")}}})
    with pytest.raises(UsageError, match="not base64 of user:password"):
        Keychain.from_env({}, tmp_path).resolve("h")


def test_secrets_never_show_in_repr() -> None:
    text = repr(Credential("user", "hunter2", "tok-123"))
    assert "user" in text and "hunter2" not in text and "tok-123" not in text


def test_normalize_host() -> None:
    assert normalize_host("https://Index.Docker.IO/v1/") == "docker.io"
    assert normalize_host("http://localhost:5000/v2/") == "localhost:5000"
    assert normalize_host("[::1]:5000") == "[::1]:5000"
