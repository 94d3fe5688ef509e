"""Download `.deb` files into a content-addressed cache, checking each against its index SHA256.

A file lands at `<cache>/debs/<sha256>.deb` only after its size and digest matched
while streaming; a cached file is checked again before it is used, and a corrupt one
is downloaded once more. A few threads download at a time (httpx.Client is
thread-safe); when one fails the rest finish or stop and nothing partial is left.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from pathlib import Path

import httpx

from builder.errors import IntegrityError

from . import _cache, _http
from .packages import Package

Progress = Callable[[int, int], None]
"""Called with (bytes done, bytes in total) as downloads advance; calls never overlap."""


def cached_path(cache_dir: Path, package: Package) -> Path:
    """Where `package` lives in the cache, whether or not it is there yet."""
    return cache_dir / "debs" / f"{package.sha256}.deb"


def fetch_debs(
    client: httpx.Client,
    mirror: str,
    packages: Sequence[Package],
    cache_dir: Path,
    *,
    progress: Progress | None = None,
    workers: int = 4,
) -> list[Path]:
    """The verified cached file of each package, in the order given, downloading what is missing."""
    unique = list(dict.fromkeys(packages))
    meter = _Meter(sum(p.size for p in unique), progress)
    jobs: dict[Package, Future[Path]] = {}
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(unique))), thread_name_prefix="deb-fetch") as pool:
        for package in unique:
            jobs[package] = pool.submit(_fetch_one, client, mirror, package, cache_dir, meter)
        done, _ = wait(jobs.values(), return_when=FIRST_EXCEPTION)
        failed = [job for job in done if job.exception() is not None]
        if failed:
            pool.shutdown(wait=True, cancel_futures=True)  # running downloads finish or clean up
            error = failed[0].exception()
            assert error is not None
            raise error
    return [jobs[package].result() for package in packages]


def _fetch_one(client: httpx.Client, mirror: str, package: Package, cache_dir: Path, meter: _Meter) -> Path:
    target = cached_path(cache_dir, package)
    if _cache.matches(target, package.size, package.sha256):
        meter.add(package.size)
        return target
    _cache.discard(target)  # corrupt or truncated: fetch it again, once
    url = _http.join(mirror, package.filename)
    with _cache.atomic_file(target) as out, _http.stream(client, url, f"{package.name} {package.version}") as response:
        digest = hashlib.sha256()
        received = 0
        for block in response.iter_bytes():
            received += len(block)
            if received > package.size:
                break
            digest.update(block)
            out.write(block)
            meter.add(len(block))
        if received != package.size or digest.hexdigest() != package.sha256:
            raise IntegrityError(
                f"{package.filename} from {mirror} does not match the SHA256 and size in the signed index"
            )
    return target


class _Meter:
    """A thread-safe byte counter that reports to the progress callback."""

    def __init__(self, total: int, progress: Progress | None) -> None:
        self.total = total
        self.done = 0
        self.progress = progress
        self.lock = threading.Lock()

    def add(self, count: int) -> None:
        if self.progress is None or count == 0:
            return
        with self.lock:
            self.done += count
            self.progress(self.done, self.total)
