"""Debian packages a buildpack asks for: added to the build root (build), or as an image layer (launch).

    root = extend_build_root(cache, archive, default_build_root(cache, archive), ["jq"], log=log)
    only = extend_build_root(cache, archive, None, ["jq"], log=log)   # for the host executor
    layer, debs = launch_package_layer(archive, ["jq"], store=store, base=run_image, log=log)

An extended build root is `<cache>/stacks/extended/<key>/rootfs`: a hard-link copy
of the base root (fast, and no extra disk for the base's files) with the packages
and whatever they need that the base lacks unpacked on top and configured as
buildroot.py configures the base (alternatives links, the dpkg status listing
every package). The key hashes the base's identity (its path and the bytes of its
dpkg status, which change whenever the archive state it was made from does), the
mirror, suite and architecture, and the sorted names, so a warm build opens no
connection to the mirror. The host executor's packages-only directory has no base
to pin the archive state, so it is a stack of its own (`defaults.cached_stack`),
re-checked against the archive at most hourly. The base is never changed: DirSink unlinks every file
before writing its replacement, so no write goes through a hard link.

Each entry is made once, in a temp directory renamed into place under a per-key
file lock: concurrent builds wait for the first and share its result, and a build
killed midway leaves only a `.make-<key>-*` directory, removed by the next maker.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import filelock

from builder.errors import DocklessError, StackError
from builder.image.blobs import BlobStore
from builder.image.image import Image
from builder.image.digest import Digest
from builder.image.layer import Layer, layer_from_blob
from builder.image.media import OCI_LAYER_GZIP, Descriptor
from builder.stack.debian import Archive, Package

from .buildroot import BUILD_PACKAGES
from .configure import ALTERNATIVES, Setup, configure
from .defaults import cached_stack
from .dpkgdb import DPKG, status_paragraphs
from .packagelayer import layer_of_packages, packages_to_add
from .rootfs import resolve_request
from .sink import DirSink
from .unpack import unpack

Log = Callable[[str], None]
RECIPE = "1"
"""Bump when the way extended roots are made changes, so old cached ones are not reused."""
_DONE = "extended.json"


def extend_build_root(cache_root: Path, archive: Archive, base_root: Path | None, packages: Sequence[str], *,
                      log: Log) -> Path:
    """A directory holding `base_root` plus `packages` (and what they need that it lacks), made once.

    With `base_root=None`: a directory holding only the packages' files and what they
    need beyond the stack's build root packages (libc and the like come from the host),
    for the host executor (`HostExecutor(packages_root=...)`), best effort: the host's
    libc may be older than the suite's. Raises StackError (exit 6) for a package the
    archive does not have, or when the mirror is needed and cannot be reached.
    """
    names = tuple(sorted(set(packages)))
    if base_root is None:  # no base to pin the archive state: re-checked hourly, as the default stacks are
        where = cache_root / "stacks" / f"{archive.suite}-{archive.arch}-host-{_key({'packages': names}, archive)}"
        def make(directory: Path) -> None:
            _packages_only(archive, names, directory / "rootfs", log)

        return cached_stack(where, archive, names, ("host",), make, log).path / "rootfs"
    status = (base_root / DPKG / "status").read_text()
    present = status_paragraphs(status)
    missing = [name for name in names if name not in present]
    if not missing:
        log(f"build packages: {', '.join(names)} already in the build root")
        return base_root
    identity = {"base": str(base_root.resolve()), "status": hashlib.sha256(status.encode()).hexdigest(),
                "packages": names}  # fmt: skip
    key = _key(identity, archive)
    return _cached(cache_root, key, lambda target: _extend(archive, base_root, status, missing, target, log)) / "rootfs"


def launch_package_layer(archive: Archive, names: Sequence[str], *, store: BlobStore, base: Image,
                         log: Log, memo_dir: Path | None = None) -> tuple[Layer, dict[str, str]]:
    """The image layer holding `names` and what they need that `base` lacks (see `package_layer`), and
    every package in it ({name: version}, for the SBOM).

    With `memo_dir`, a layer made before for the same base image and names is taken from the blob
    store without unpacking anything: the base's digest pins the archive state (a stack is remade,
    with new labels, when the archive moves), so the same inputs give the same layer. A JRE is
    ~220 MB unpacked; re-making it on every code change cost seconds.

    Raises StackError with one line for an unknown package or an unreachable mirror.
    """
    memo = memo_dir / f"{_memo_key(base, names)}.json" if memo_dir is not None else None
    known = _recall(memo, store)
    if known is not None:
        return known
    log(f"launch packages: {', '.join(names)}")
    try:
        packages = packages_to_add(archive, names, base)
        layer = layer_of_packages(archive, packages, store=store)
    except DocklessError:
        raise
    except OSError as exc:
        raise StackError(f"cannot add the launch packages {', '.join(names)}: {exc.strerror or exc}",
                         "check the disk space and permissions of the dockless cache") from exc
    debs = {p.name: p.version for p in packages}
    if memo is not None:
        _remember(memo, layer, debs)
    return layer, debs


def _memo_key(base: Image, names: Sequence[str]) -> str:
    doc = {"recipe": RECIPE, "base": str(base.digest), "names": sorted(set(names))}
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:32]


def _recall(memo: Path | None, store: BlobStore) -> tuple[Layer, dict[str, str]] | None:
    if memo is None:
        return None
    try:
        data = json.loads(memo.read_text())
        digest, diff_id = Digest.parse(data["digest"]), Digest.parse(data["diff_id"])
        debs = {str(k): str(v) for k, v in data["packages"].items()}
        size = int(data["size"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    if not store.has(digest):
        return None
    return layer_from_blob(store, Descriptor(OCI_LAYER_GZIP, digest, size), diff_id), debs


def _remember(memo: Path, layer: Layer, debs: dict[str, str]) -> None:
    memo.parent.mkdir(parents=True, exist_ok=True)
    tmp = memo.with_name(f".{memo.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps({"digest": str(layer.digest), "size": layer.size, "diff_id": str(layer.diff_id),
                               "packages": debs}, sort_keys=True))
    os.replace(tmp, memo)


def _key(identity: Mapping[str, object], archive: Archive) -> str:
    doc = {**identity, "recipe": RECIPE, "mirror": archive.mirror, "suite": archive.suite, "arch": archive.arch}
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:20]


def _cached(cache_root: Path, key: str, make: Callable[[Path], None]) -> Path:
    """`<cache>/stacks/extended/<key>`, calling `make(<temp>/rootfs)` the first time (once, under a lock)."""
    base = cache_root / "stacks" / "extended"
    final = base / key
    if (final / _DONE).is_file():
        return final
    base.mkdir(parents=True, exist_ok=True)
    with filelock.FileLock(str(base / f".{key}.lock")):
        if (final / _DONE).is_file():
            return final  # another build made it while this one waited
        for stale in base.glob(f".make-{key}-*"):  # a killed maker's; no one else holds the lock
            shutil.rmtree(stale, ignore_errors=True)
        work = Path(tempfile.mkdtemp(dir=base, prefix=f".make-{key}-"))
        try:
            make(work / "rootfs")
            (work / _DONE).write_text(json.dumps({"key": key, "recipe": RECIPE}) + "\n")
            if final.exists():
                shutil.rmtree(final)  # unfinished (no extended.json): left by hand or a broken disk
            os.rename(work, final)
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
    return final


def _extend(archive: Archive, base_root: Path, status: str, names: Sequence[str], target: Path, log: Log) -> None:
    added = _resolve(archive, names, list(status_paragraphs(status)))
    log(f"build packages: {', '.join(names)}: {len(added)} packages to add to the build root "
        f"({sum(p.size for p in added) / 1e6:.1f} MB of .debs)")
    paths = archive.fetch(added)
    _link_copy(base_root, target)
    sink = DirSink(target)
    installed = unpack(list(zip(added, paths)), sink)
    configure(sink, installed, Setup(mount_points=True), base_status=status)


def _packages_only(archive: Archive, names: Sequence[str], target: Path, log: Log) -> None:
    """Just the packages' files, and relative alternatives links (an absolute one would point into the host)."""
    base = [package.name for package in resolve_request(archive, BUILD_PACKAGES, ())]
    added = _resolve(archive, names, base)
    log(f"build packages for the host: {', '.join(p.name for p in added)} "
        f"({sum(p.size for p in added) / 1e6:.1f} MB of .debs)")
    sink = DirSink(target)
    unpack(list(zip(added, archive.fetch(added))), sink)
    for link, _, alternative in ALTERNATIVES:
        if sink.kind(alternative.lstrip("/")) is not None and sink.kind(link) is None:
            os.symlink(os.path.relpath(alternative.lstrip("/"), os.path.dirname(link)), target / link)


def _resolve(archive: Archive, names: Sequence[str], present: Sequence[str]) -> list[Package]:
    """The closure of `names` minus `present`, with every failure a StackError (exit 6)."""
    try:
        return resolve_request(archive, names, present)
    except DocklessError:
        raise
    except OSError as exc:
        raise StackError(f"cannot read the {archive.label} package index: {exc.strerror or exc}",
                         "check the disk space and permissions of the dockless cache") from exc


def _link_copy(source: Path, target: Path) -> None:
    """`target` as a copy of `source` whose files are hard links (directories and symlinks are new).

    In this process, not `cp -al`: a build killed midway must not leave a copier
    still writing into a directory the next build is removing. About 0.6 s for the
    10,500 entries of the trixie build root.
    """
    try:
        shutil.copytree(source, target, symlinks=True, copy_function=os.link)
    except (OSError, shutil.Error) as exc:
        raise StackError(f"cannot copy the build root {source} to extend it: {exc}",
                         "the dockless cache must be on one file system that allows hard links") from exc
