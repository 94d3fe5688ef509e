"""What SOURCE is (a local directory or a git URL), and keeping credentials out of messages.

Users paste URLs with tokens in them (`https://x-access-token:TOKEN@host/…`);
every URL that reaches a log line, an error or an image label goes through
`redact_url`, and git's own stderr through `redact_text`.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from builder.errors import UsageError

GIT_SCHEMES = frozenset({"https", "http", "ssh", "git", "file", "git+ssh", "ssh+git"})
# Schemes where the user name itself is often the secret (https://TOKEN@host/…).
_TOKEN_USER_SCHEMES = frozenset({"https", "http", "git", "file"})

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
# scp-like `[user@]host:path` (git's rule: a colon before any slash); `host::x` is a
# transport-helper address, and a leading `-` could become an ssh option.
_SCP = re.compile(r"^(?:[^@/:\s-][^@/:\s]*@)?(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9][A-Za-z0-9._-]*):(?!:)\S+$")
_URL_USERINFO = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^/\s?#'\"]*)@")


@dataclass(frozen=True)
class GitUrl:
    """A remote (or file://) git repository to clone; `url` may hold credentials."""

    url: str

    @property
    def redacted(self) -> str:
        return redact_url(self.url)


@dataclass(frozen=True)
class LocalDir:
    """A directory on this machine, used as it is (its working tree, if it is a repo)."""

    path: Path


def classify_source(source: str) -> GitUrl | LocalDir:
    """Parse SOURCE once: a URL with a git scheme, an scp-style address, or a directory.

    An existing directory wins over the scp reading (`my:dir` in the current
    directory is a directory); other schemes are refused rather than guessed at.
    """
    source = source or "."
    scheme = _SCHEME.match(source)
    if scheme:
        name = scheme.group(1).lower()
        if name not in GIT_SCHEMES:
            raise UsageError(
                f"unsupported source URL scheme '{name}://' in {redact_url(source)}",
                hint="use a directory or a git URL: "
                     "https://, http://, ssh://, git://, file:// or git@host:org/repo.git",
            )
        return GitUrl(source)
    if _SCP.match(source) and not os.path.isdir(source):
        return GitUrl(source)
    return LocalDir(Path(source))


def redact_url(url: str) -> str:
    """The URL with passwords and tokens replaced by `***`.

    For http(s)/git/file any user info is hidden (the user name is often the
    token); for ssh the user name stays and only a password is hidden. A query
    string's values are hidden too (`?private_token=***`).
    """
    text = _redact_userinfo(url)
    if "://" in text and "?" in text:
        head, _, query = text.partition("?")
        fragment = ""
        if "#" in query:
            query, _, fragment = query.partition("#")
            fragment = "#" + fragment
        hidden = "&".join(f"{p.partition('=')[0]}=***" if "=" in p else p for p in query.split("&"))
        text = f"{head}?{hidden}{fragment}"
    return text


def url_secrets(url: str) -> tuple[str, ...]:
    """The literal secrets a URL carries (raw and percent-decoded), to scrub from any text."""
    if not _SCHEME.match(url):
        return ()
    try:
        parts = urlsplit(url)
    except ValueError:
        return ()
    found: list[str] = []
    userinfo = parts.netloc.rpartition("@")[0] if "@" in parts.netloc else ""
    user, has_password, password = userinfo.partition(":")
    if has_password and password:
        found += [password, unquote(password)]
    if user and parts.scheme.lower() in _TOKEN_USER_SCHEMES:
        found += [user, unquote(user)]
    for pair in parts.query.split("&"):
        value = pair.partition("=")[2]
        if value:
            found += [value, unquote(value)]
    return tuple(sorted({s for s in found if len(s) >= 3}, key=len, reverse=True))


def redact_text(text: str, secrets: tuple[str, ...] = ()) -> str:
    """Scrub URL user info and the given literal secrets from free text (git's stderr)."""
    text = _redact_userinfo(text)
    for secret in secrets:
        text = text.replace(secret, "***")
    return text


def _redact_userinfo(text: str) -> str:
    def hide(match: re.Match[str]) -> str:
        scheme, userinfo = match.group("scheme"), match.group("userinfo")
        if scheme[:-3].lower() in _TOKEN_USER_SCHEMES:
            return f"{scheme}***@"
        user, has_password, _ = userinfo.partition(":")
        return f"{scheme}{user}:***@" if has_password else match.group(0)

    return _URL_USERINFO.sub(hide, text)
