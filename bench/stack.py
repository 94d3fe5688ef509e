#!/usr/bin/env python3
"""The default run image: `dockless stack create` beside `mmdebstrap` making the same package set.

Usage: python bench/stack.py [--suite trixie] [--mirror URL]

dockless runs twice into oci: layouts in a temp dir, first with an empty cache (it
downloads every .deb) and then warm (the .debs and the index are cached). mmdebstrap
gets the exact package list dockless resolved and writes a tarball, with the same
documentation trimmed through dpkg path-exclude options, twice: `--variant=extract`
(unpack only, no scripts: the closest to what dockless does) and `--variant=essential`
with the same `--include`: a dpkg-installed root. (`--variant=custom` with just these
packages cannot work: dpkg runs the maintainer scripts inside the new root, which need
dpkg, sed, rm, diff, ldconfig... that is, the Essential set.) apt also pulls in what
dockless deliberately leaves out (debconf, openssl, mawk, debianutils). Prints wall time and uncompressed/compressed size for
each, and the ratios against mmdebstrap --variant=extract measured in the same run. Needs root (or a
working `mmdebstrap --mode=unshare`) and network access to the mirror.
"""

from __future__ import annotations

import argparse
import gzip
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from builder.stack import DEFAULT_MIRROR, DEFAULT_SUITE, DEFAULT_RUN_PACKAGES, RUN_EXCLUDE, open_archive  # noqa: E402
from builder.stack.rootfs import resolve_request  # noqa: E402

TRIM = ["path-exclude=/usr/share/doc/*", "path-include=/usr/share/doc/*/copyright", "path-exclude=/usr/share/man/*",
        "path-exclude=/usr/share/info/*", "path-exclude=/usr/share/locale/*", "path-exclude=/usr/share/lintian/*"]  # fmt: skip


def dockless_create(cache: Path, out: Path, suite: str, mirror: str) -> tuple[float, int, int]:
    """(seconds, uncompressed layer bytes, compressed layer bytes) of one `dockless stack create`."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "builder", "stack", "create", "--suite", suite, "--mirror", mirror,
                    "--cache-dir", str(cache), "--image", f"oci:{out}:run"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    seconds = time.perf_counter() - start
    blobs = [p for p in (out / "blobs" / "sha256").iterdir() if p.stat().st_size > 1_000_000]
    [layer] = blobs
    with layer.open("rb") as f:
        raw = len(gzip.decompress(f.read()))
    return seconds, raw, layer.stat().st_size


def mmdebstrap_create(variant: str, packages: list[str], out: Path, suite: str, mirror: str) -> tuple[float, int, int]:
    """(seconds, tarball bytes, gzip -6 bytes) of mmdebstrap making the same set."""
    mode = "root" if os.geteuid() == 0 else "unshare"
    argv = ["mmdebstrap", f"--mode={mode}", f"--variant={variant}", "--quiet", f"--include={','.join(packages)}",
            *[f"--dpkgopt={opt}" for opt in TRIM], suite, str(out), mirror]  # fmt: skip
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    data = out.read_bytes()
    return seconds, len(data), len(gzip.compress(data, 6))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", default=DEFAULT_SUITE)
    parser.add_argument("--mirror", default=DEFAULT_MIRROR)
    args = parser.parse_args()
    if shutil.which("mmdebstrap") is None:
        sys.exit("mmdebstrap is not installed (apt-get install mmdebstrap)")
    with tempfile.TemporaryDirectory(prefix="dockless-bench-") as tmp:
        work = Path(tmp)
        with httpx.Client(timeout=120) as client:
            resolved = resolve_request(open_archive(work / "resolve", client, suite=args.suite, mirror=args.mirror),
                                       DEFAULT_RUN_PACKAGES, RUN_EXCLUDE)  # fmt: skip
        names = [p.name for p in resolved]
        print(f"{len(names)} packages ({sum(p.size for p in resolved) / 1e6:.1f} MB of .debs): {' '.join(names)}")
        cold = dockless_create(work / "cache", work / "cold", args.suite, args.mirror)
        warm = dockless_create(work / "cache", work / "warm", args.suite, args.mirror)
        mm = mmdebstrap_create("extract", names, work / "extract.tar", args.suite, args.mirror)
        essential = mmdebstrap_create("essential", names, work / "essential.tar", args.suite, args.mirror)
    rows = [("dockless stack create (cold cache)", cold), ("dockless stack create (warm cache)", warm),
            ("mmdebstrap --variant=extract", mm), ("mmdebstrap --variant=essential", essential)]  # fmt: skip
    print(f"{'':38} {'seconds':>8} {'x mmdeb':>8} {'MB tar':>8} {'x mmdeb':>8} {'MB gz':>7}")
    for name, (seconds, raw, packed) in rows:
        print(f"{name:38} {seconds:8.1f} {seconds / mm[0]:8.2f} {raw / 1e6:8.1f} {raw / mm[1]:8.2f} {packed / 1e6:7.1f}")


if __name__ == "__main__":
    main()
