"""Assemble a `Repository` for a reference: scheme, trust, credentials, scopes.

The one place that decides plain HTTP (loopback registries, as Docker does,
and `--insecure-registry HOST`) versus HTTPS, and which token scopes a
session asks for.
"""

from __future__ import annotations

from collections.abc import Iterable

from builder.reference import RegistryRef, is_loopback_host
from builder.registry.auth import RegistryAuth, TokenSource
from builder.registry.client import RegistryClient
from builder.registry.options import RegistryOptions
from builder.registry.repository import Repository


def _hostname(host: str) -> str:
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def uses_plain_http(host: str, insecure: Iterable[str]) -> bool:
    """Loopback hosts, and hosts listed as insecure (with or without their port)."""
    if is_loopback_host(host):
        return True
    listed = {h.strip().lower() for h in insecure}
    return host.lower() in listed or _hostname(host).lower() in listed


def scopes_for(repository: str, *, push: bool, mount_from: Iterable[str] = ()) -> tuple[str, ...]:
    """`repository:NAME:pull[,push]` plus `pull` on every repository we mount from."""
    own = f"repository:{repository}:{'pull,push' if push else 'pull'}"
    return (own,) + tuple(f"repository:{r}:pull" for r in sorted(set(mount_from) - {repository}))


def connect(ref: RegistryRef, options: RegistryOptions, insecure: Iterable[str], *,
            push: bool = False, mount_from: Iterable[str] = ()) -> Repository:
    """A ready-to-use handle on `ref`'s repository (no request is made yet)."""
    host = ref.api_host
    plain = uses_plain_http(ref.registry, insecure) or uses_plain_http(host, insecure)
    loopback = is_loopback_host(host)
    verify = options.ssl_context()
    credential = options.keychain.resolve(ref.registry)
    token_http = options.http_client(trust_env=not loopback, verify=verify)
    tokens = TokenSource(token_http, credential, host, options.retry)
    base_url = f"{'http' if plain else 'https'}://{host}"
    auth = RegistryAuth(credential, scopes_for(ref.repository, push=push, mount_from=mount_from), tokens,
                        origin=base_url)
    http = options.http_client(trust_env=not loopback, verify=verify, auth=auth)
    client = RegistryClient(host, base_url, http, options.retry,
                            anonymous=credential.anonymous, also_close=(token_http,),
                            missing_helper=credential.missing_helper)
    return Repository(client, ref.repository)
