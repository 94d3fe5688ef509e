"""SOURCE classification and credential redaction (pure functions, no tools)."""

from __future__ import annotations

from pathlib import Path

import pytest

from builder.errors import UsageError
from builder.source import GitUrl, LocalDir, classify_source, redact_text, redact_url
from builder.source._url import url_secrets


@pytest.mark.parametrize("source", [
    "https://github.com/gswk/knative-buildpack-demo.git",
    "http://127.0.0.1:8080/org/repo",
    "ssh://git@github.com/org/repo.git",
    "ssh://git@host:2222/org/repo.git",
    "git+ssh://git@host/org/repo.git",
    "git://127.0.0.1:9418/app.git",
    "file:///srv/git/app.git",
    "HTTPS://Host/Repo.git",
    "git@github.com:org/repo.git",
    "github.com:org/repo.git",
    "user@[::1]:org/repo.git",
    "https://x-access-token:tok@github.com/org/repo.git",
])
def test_git_urls(source: str) -> None:
    assert classify_source(source) == GitUrl(source)


@pytest.mark.parametrize("source", [
    ".", "./app", "app", "app/sub", "/abs/dir", "../sibling", "~/not-expanded",
    "./dir:with-colon", "a/b:c", "dir.with.dots", "-leading-dash@host:x",
])
def test_directories(source: str) -> None:
    assert classify_source(source) == LocalDir(Path(source))


def test_empty_source_is_the_current_directory() -> None:
    assert classify_source("") == LocalDir(Path("."))


def test_existing_directory_wins_over_scp_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "my:dir").mkdir()
    assert classify_source("my:dir") == LocalDir(Path("my:dir"))
    assert classify_source("other:dir") == GitUrl("other:dir")


def test_transport_helper_address_is_not_a_url() -> None:
    # `ext::cmd` would make git run a command; it must never reach git as a URL.
    assert isinstance(classify_source("ext::sh -c touch% /tmp/pwned"), LocalDir)


@pytest.mark.parametrize("source", ["ftp://host/repo.git", "ext://x", "s3://bucket/app.tgz"])
def test_unknown_schemes_are_usage_errors(source: str) -> None:
    with pytest.raises(UsageError) as err:
        classify_source(source)
    assert err.value.exit_code == 2


def test_unknown_scheme_error_is_redacted() -> None:
    with pytest.raises(UsageError) as err:
        classify_source("ftp://me:hunter2@host/repo")
    assert "hunter2" not in str(err.value)


@pytest.mark.parametrize(("url", "expected"), [
    ("https://user:secret@github.com/o/r.git", "https://***@github.com/o/r.git"),
    ("https://ghp_TOKEN@github.com/o/r.git", "https://***@github.com/o/r.git"),
    ("http://a:b@c@host:8080/r", "http://***@host:8080/r"),
    ("git://u:p@127.0.0.1:1/x.git", "git://***@127.0.0.1:1/x.git"),
    ("ssh://git@host/r.git", "ssh://git@host/r.git"),
    ("ssh://git:pw@host/r.git", "ssh://git:***@host/r.git"),
    ("git@github.com:o/r.git", "git@github.com:o/r.git"),
    ("https://host/r.git?private_token=abc&x=1", "https://host/r.git?private_token=***&x=***"),
    ("https://github.com/o/r.git", "https://github.com/o/r.git"),
])
def test_redact_url(url: str, expected: str) -> None:
    assert redact_url(url) == expected


def test_redact_text_scrubs_urls_and_literal_secrets() -> None:
    url = "https://bob:p%40ss-word@host/r.git"
    text = ("fatal: unable to access 'https://bob:p%40ss-word@host/r.git/': nope\n"
            "remote: password p@ss-word rejected for p%40ss-word")
    clean = redact_text(text, url_secrets(url))
    assert "ss-word" not in clean and "bob" not in clean
    assert "https://***@host/r.git/" in clean


def test_url_secrets_keep_ssh_user_names() -> None:
    assert url_secrets("ssh://git@host/r.git") == ()
    assert url_secrets("git@host:r.git") == ()
    assert set(url_secrets("https://tok3n@host/r")) == {"tok3n"}
