"""A root file system from a set of resolved packages: unpacked, then configured as their scripts would have."""

from __future__ import annotations

from collections.abc import Sequence

from builder.stack.debian import Archive, Package, Progress

from .configure import Setup, configure
from .sink import Sink
from .unpack import Installed, Log, Trim, unpack


def assemble(
    archive: Archive,
    packages: Sequence[Package],
    sink: Sink,
    *,
    trim: Trim = Trim(),
    setup: Setup = Setup(),
    progress: Progress | None = None,
    log: Log | None = None,
) -> list[Installed]:
    """Fetch (verified, cached) and unpack `packages` into `sink`, then configure the tree."""
    paths = archive.fetch(packages, progress=progress)
    installed = unpack(list(zip(packages, paths)), sink, trim=trim, log=log)
    configure(sink, installed, setup)
    return installed


def resolve_request(archive: Archive, names: Sequence[str], exclude: Sequence[str]) -> list[Package]:
    """The closure of `names`; a name asked for explicitly is never dropped by `exclude`."""
    return archive.resolve(names, exclude=sorted(set(exclude) - set(names)))
