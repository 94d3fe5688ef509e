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
    """The closure of `names`; a name asked for explicitly is never dropped by `exclude`.

    A name may list alternatives, `libssl3t64 | libssl3`: the first one the suite has
    is taken (Debian renamed libraries for the 64-bit time_t transition in trixie),
    so one package list makes a stack from bookworm, trixie or forky.
    """
    picked = [pick_alternative(archive, name) for name in names]
    return archive.resolve(picked, exclude=sorted(set(exclude) - set(picked)))


def pick_alternative(archive: Archive, name: str) -> str:
    """`name`, or for `a | b` the first alternative `archive` has (else the first, for the error to name)."""
    options = [o.strip() for o in name.split("|") if o.strip()]
    if len(options) <= 1:
        return name.strip()
    index = archive.packages()
    return next((o for o in options if index.get(o) is not None or index.providers(o)), options[0])
