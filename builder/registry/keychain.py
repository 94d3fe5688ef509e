"""Registry credentials from a Docker config, the way the docker CLI finds them.

Lookup order for a host: `credHelpers[host]`, then `credsStore`, then the
`auths` entry (base64 `auth`, `username`/`password`, or `identitytoken`);
anonymous when nothing matches. Keys match with or without a scheme or path
(`https://host/v1/`), and Docker Hub answers to all of its names. The
environment is read only by `Keychain.from_env`, at the edge.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from builder.errors import AuthError, UsageError

log = logging.getLogger(__name__)

DOCKER_HUB_KEY = "https://index.docker.io/v1/"
_HUB_NAMES = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com"})
_HELPER_TIMEOUT = 60.0


@dataclass(frozen=True)
class Credential:
    """What to authenticate with; secrets never appear in repr()."""

    username: str = ""
    password: str = field(default="", repr=False)
    identity_token: str = field(default="", repr=False)
    # Anonymous because config.json's credsStore names this program and PATH lacks it: said when the
    # registry then asks for credentials (the docker CLI fails on the missing helper outright).
    missing_helper: str = ""

    @property
    def anonymous(self) -> bool:
        return not (self.username or self.password or self.identity_token)

    @property
    def has_password(self) -> bool:
        return bool(self.username and self.password)


ANONYMOUS = Credential()


def normalize_host(key: str) -> str:
    """`https://Host:5000/v1/` → `host:5000`; every Docker Hub name → `docker.io`."""
    host = key.strip()
    if "://" in host:
        host = host.split("://", 1)[1]
    host = host.split("/", 1)[0].lower()
    return "docker.io" if host in _HUB_NAMES else host


def helper_server_url(host: str) -> str:
    """What `docker-credential-* get` expects on stdin for `host` (the docker CLI's convention)."""
    return DOCKER_HUB_KEY if normalize_host(host) == "docker.io" else host


@dataclass(frozen=True)
class Keychain:
    """Credentials from one parsed Docker `config.json` (empty when there is none)."""

    config: Mapping[str, Any] = field(default_factory=dict, repr=False)
    path: Path | None = None
    environ: Mapping[str, str] | None = field(default=None, repr=False)  # for docker-credential-* helpers

    @classmethod
    def from_env(cls, environ: Mapping[str, str], docker_config: Path | None = None) -> Keychain:
        """`docker_config` (a dir or a config.json), else $DOCKER_CONFIG, else ~/.docker."""
        if docker_config is not None:
            base = Path(docker_config)
        elif environ.get("DOCKER_CONFIG"):
            base = Path(environ["DOCKER_CONFIG"])
        else:
            home = environ.get("HOME")
            base = (Path(home) if home else Path.home()) / ".docker"
        path = base if base.suffix == ".json" else base / "config.json"
        return cls.load(path, environ=dict(environ))

    @classmethod
    def load(cls, path: Path, environ: Mapping[str, str] | None = None) -> Keychain:
        """Parse one config.json; a missing file is an empty config (anonymous everywhere)."""
        try:
            text = path.read_text()
        except FileNotFoundError:
            return cls({}, path, environ)
        except OSError as e:
            raise UsageError(f"cannot read the docker config {path}: {e.strerror}",
                             "check the file's permissions or set DOCKER_CONFIG") from None
        try:
            doc = json.loads(text) if text.strip() else {}
        except ValueError:
            raise UsageError(f"the docker config {path} is not valid JSON",
                             "fix it, or point DOCKER_CONFIG at another directory") from None
        if not isinstance(doc, dict):
            raise UsageError(f"the docker config {path} is not a JSON object",
                             "fix it, or point DOCKER_CONFIG at another directory")
        return cls(doc, path, environ)

    def resolve(self, host: str) -> Credential:
        """Credentials for a registry host (`ref.registry`), or ANONYMOUS."""
        want = normalize_host(host)
        helper = _lookup(self.config.get("credHelpers"), want)
        if isinstance(helper, str) and helper:
            cred = self._from_helper(helper, host, required=True)
            if cred is not None:
                return cred
        store = self.config.get("credsStore")
        if isinstance(store, str) and store:
            cred = self._from_helper(store, host, required=False)
            if cred is not None:
                return cred
        entry = _lookup(self.config.get("auths"), want)
        if isinstance(entry, Mapping):
            return _from_auth_entry(entry, host, self.path)
        if isinstance(store, str) and store and self._which(f"docker-credential-{store}") is None:
            return Credential(missing_helper=f"docker-credential-{store}")
        return ANONYMOUS

    def _which(self, program: str) -> str | None:
        """`program` on the PATH of `environ` (this process's when None)."""
        return shutil.which(program, path=self.environ.get("PATH") if self.environ is not None else None)

    def _from_helper(self, name: str, host: str, *, required: bool) -> Credential | None:
        """Run `docker-credential-NAME get`; None when it has nothing for this host."""
        program = f"docker-credential-{name}"
        env = dict(self.environ) if self.environ is not None else None
        exe = self._which(program)
        if exe is None:
            if required:
                raise AuthError(f"the credential helper {program} configured for {host} is not installed",
                                f"install {program} or remove {host} from credHelpers in {self.path}")
            log.warning("credsStore %s is not installed; falling back to the auths in %s", program, self.path)
            return None
        try:
            proc = subprocess.run([exe, "get"], input=helper_server_url(host).encode(), capture_output=True,
                                  timeout=_HELPER_TIMEOUT, check=False, env=env)
        except (OSError, subprocess.TimeoutExpired) as e:
            raise AuthError(f"the credential helper {program} failed for {host}: {e.__class__.__name__}",
                            "run it by hand to see why: echo HOST | " + program + " get") from None
        out = proc.stdout.decode(errors="replace")
        if proc.returncode != 0:
            if "credentials not found" in (out + proc.stderr.decode(errors="replace")).lower():
                return None
            first = (proc.stderr or proc.stdout).decode(errors="replace").strip().splitlines()[:1]
            raise AuthError(f"the credential helper {program} failed for {host}"
                            + (f": {first[0][:200]}" if first else f" (exit {proc.returncode})"),
                            f"run it by hand to see why: echo {helper_server_url(host)} | {program} get")
        try:
            doc = json.loads(out)
            username, secret = str(doc.get("Username") or ""), str(doc.get("Secret") or "")
        except (ValueError, AttributeError):
            raise AuthError(f"the credential helper {program} returned something that is not JSON",
                            f"check that {program} works: echo {helper_server_url(host)} | {program} get") from None
        if not username and not secret:
            return None
        if username == "<token>":
            return Credential(identity_token=secret)
        return Credential(username, secret)


def _lookup(table: object, want: str) -> object:
    """The entry whose key normalises to `want`; an exact key wins over a normalised one."""
    if not isinstance(table, Mapping):
        return None
    if want in table:
        return table[want]
    for key, value in table.items():
        if isinstance(key, str) and normalize_host(key) == want:
            return value
    return None


def _from_auth_entry(entry: Mapping[str, Any], host: str, path: Path | None) -> Credential:
    """An `auths` entry: `auth` (base64 user:pass), `username`/`password`, and/or `identitytoken`."""
    username = str(entry.get("username") or "")
    password = str(entry.get("password") or "")
    token = str(entry.get("identitytoken") or "")
    encoded = entry.get("auth")
    if isinstance(encoded, str) and encoded:
        try:
            decoded = base64.b64decode(encoded, validate=False).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise UsageError(f"the auth entry for {host} in {path} is not base64 of user:password",
                             f"log in again with 'docker login {host}'") from None
        user, sep, pw = decoded.partition(":")
        if not sep:
            raise UsageError(f"the auth entry for {host} in {path} is not base64 of user:password",
                             f"log in again with 'docker login {host}'")
        username, password = user, pw
    return Credential(username, password, token)
