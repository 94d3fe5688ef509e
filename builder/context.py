"""What every medium shares: the Context a reader or writer runs in, and what a write returns.

A leaf module: it imports no medium. `builder.transport` dispatches to the
four media and each medium needs `Context`; were these types defined in the
dispatcher, every medium would import the module that imports it. Here they
sit below both, so a medium can be imported (and tested) on its own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from builder.image.blobs import BlobStore
from builder.image.media import Platform
from builder.reference import Reference

__all__ = ["Context", "ProgressFn", "Written", "no_progress"]

# (what, done, total) — total 0 when unknown. The CLI turns these into progress bars.
# A negative total (NOTICE) makes `what` a one-line notice instead (a retry, a 413 fallback).
ProgressFn = Callable[[str, int, int], None]
NOTICE = -1


def no_progress(what: str, done: int, total: int) -> None:
    """The default: say nothing."""


@dataclass(frozen=True)
class Context:
    """Everything a reader or writer needs besides the image; built once by the CLI."""

    store: BlobStore
    platform: Platform = field(default_factory=Platform)
    insecure_registries: frozenset[str] = frozenset()
    docker_config: Path | None = None
    progress: ProgressFn = no_progress
    # The process environment as the CLI saw it (credentials via HOME/DOCKER_CONFIG,
    # SSL_CERT_FILE, PATH for credential helpers); None = this process's own.
    environ: Mapping[str, str] | None = None


@dataclass(frozen=True)
class Written:
    """Where an image ended up: `pinned` is REPO@sha256:… for registries and layouts, NAME:TAG for a daemon
    (which keeps no manifest digest), and `digest` the manifest digest of the image written."""

    reference: Reference
    digest: str
    pinned: str
