"""Small builders shared by the registry tests: images, contexts, a progress recorder."""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from builder.context import Context
from builder.image.blobs import BlobStore
from builder.image.image import Image
from builder.image.layer import layer_from_dir
from builder.image.media import Platform
from builder.image.mutate import ConfigChange, append_layers, scratch, with_config
from builder.registry import Credential, Keychain, RegistryOptions, RetryPolicy

if TYPE_CHECKING:
    from tests.registry.fakeregistry import FakeRegistry

FAST_RETRY = RetryPolicy(attempts=8, base_delay=0.01, max_delay=0.2)


class Progress:
    """A thread-safe progress callback that remembers every event."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.events: list[tuple[str, int, int]] = []

    def __call__(self, what: str, done: int, total: int) -> None:
        with self._lock:
            self.events.append((what, done, total))

    def kinds(self, kind: str) -> set[str]:
        """Blob short digests that got a `kind` event ("upload", "exists", "mounted")."""
        return {w.split(" ", 1)[1] for w, _, _ in self.events if w.split(" ", 1)[0] == kind}


def make_image(tmp: Path, store: BlobStore, files: Mapping[str, bytes], *, platform: Platform = Platform(),
               cmd: tuple[str, ...] = ("/bin/true",)) -> Image:
    """scratch + one layer per entry of `files` (path → content) + a Cmd."""
    layers = []
    for i, (name, content) in enumerate(sorted(files.items())):
        root = tmp / f"layer-{i}-{os.urandom(4).hex()}"
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(content)
        layers.append(layer_from_dir(root, store))
    image = append_layers(scratch(platform), layers)
    return with_config(image, ConfigChange(cmd=cmd))


def context(store: BlobStore, *, progress: Progress | None = None, platform: Platform = Platform(),
            insecure: frozenset[str] = frozenset()) -> Context:
    return Context(store, platform=platform, insecure_registries=insecure,
                   progress=progress if progress is not None else Progress())


def options(docker_config: Path | None, **kw: object) -> RegistryOptions:
    """Options that never read the real ~/.docker and retry fast."""
    keychain = Keychain.load(docker_config / "config.json") if docker_config else Keychain()
    return RegistryOptions(keychain=keychain, retry=kw.pop("retry", FAST_RETRY), **kw)  # type: ignore[arg-type]


def fake_options(fake: FakeRegistry, cred: Credential | None = None, **kw: object) -> RegistryOptions:
    """Options whose transport is the in-memory fake and whose keychain holds `cred` for it."""
    auths = {}
    if cred is not None:
        auths[fake.host] = {"username": cred.username, "password": cred.password,
                            "identitytoken": cred.identity_token}
    return RegistryOptions(keychain=Keychain({"auths": auths}), retry=kw.pop("retry", FAST_RETRY),  # type: ignore[arg-type]
                           transport=fake.transport(), **kw)  # type: ignore[arg-type]
