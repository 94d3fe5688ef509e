"""umoci and skopeo: independent tools that write and read OCI images.

`make_umoci_image` builds a tiny busybox image with no registry and no Docker,
so tests have a real run image to build on; skopeo then copies and inspects
images, as a second opinion on what dockless pushes.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .procs import require_tool, run, unavailable

BUSYBOX_APPLETS = ("sh", "echo", "cat", "ls", "env", "id", "sleep", "httpd", "wget", "true")
DEFAULT_CMD = ("/bin/sh", "-c", "echo hello from umoci")


def _is_static_elf64(path: Path) -> bool:
    """No PT_INTERP program header: the binary runs in a rootfs without libc."""
    with open(path, "rb") as f:
        head = f.read(65536)
    if head[:4] != b"\x7fELF" or head[4] != 2:
        return False
    (phoff,) = struct.unpack_from("<Q", head, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", head, 0x36)
    return all(struct.unpack_from("<I", head, phoff + i * phentsize)[0] != 3
               for i in range(phnum))


def static_busybox() -> Path:
    """The host's static busybox (Debian `busybox-static`), or skip/fail."""
    for candidate in ("/bin/busybox", "/usr/bin/busybox"):
        path = Path(candidate)
        if path.is_file() and _is_static_elf64(path):
            return path
    unavailable("a static busybox is needed (apt-get install busybox-static)")


def make_umoci_image(dest: Path, *, tag: str = "latest", cmd: Sequence[str] = DEFAULT_CMD,
                     env: Mapping[str, str] | None = None,
                     files: Mapping[str, bytes] | None = None) -> Path:
    """Build an OCI layout at `dest` holding `dest:tag`: static busybox + applet links + files.

    `files` maps rootfs-relative paths to contents (e.g. {"www/index.html": b"hi"}).
    Returns `dest`, usable as `oci:DEST:TAG` with skopeo or dockless.
    """
    require_tool("umoci")
    busybox = static_busybox()
    image = f"{dest}:{tag}"
    rootless = ["--rootless"] if os.geteuid() != 0 else []
    if not (dest / "index.json").exists():
        run(["umoci", "init", "--layout", dest])
    run(["umoci", "new", "--image", image])
    with tempfile.TemporaryDirectory(dir=dest.parent, prefix=".umoci-bundle-") as tmp:
        bundle = Path(tmp) / "bundle"
        run(["umoci", "unpack", *rootless, "--image", image, bundle])
        rootfs = bundle / "rootfs"
        (rootfs / "bin").mkdir(exist_ok=True)
        (rootfs / "tmp").mkdir(mode=0o1777, exist_ok=True)
        shutil.copy2(busybox, rootfs / "bin" / "busybox")
        for applet in BUSYBOX_APPLETS:
            (rootfs / "bin" / applet).symlink_to("busybox")
        for rel, content in (files or {}).items():
            target = rootfs / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        run(["umoci", "repack", *rootless, "--image", image, bundle])
    config = ["umoci", "config", "--image", image, "--config.env", "PATH=/bin"]
    for key, value in (env or {}).items():
        config += ["--config.env", f"{key}={value}"]
    for arg in cmd:
        config += ["--config.cmd", arg]
    run(config)
    run(["umoci", "gc", "--layout", dest])
    return dest


def _tls(ref: str, flag: str) -> list[str]:
    return [f"{flag}=false"] if ref.startswith("docker://") else []


def skopeo(*args: str, timeout: float = 300) -> bytes:
    """Run skopeo without a signature policy (loopback test images are unsigned)."""
    require_tool("skopeo")
    return run(["skopeo", "--insecure-policy", *args], timeout=timeout).stdout


def skopeo_inspect(ref: str, creds: str | None = None, *, raw: bool = False,
                   config: bool = False) -> dict[str, Any]:
    """Parsed `skopeo inspect` of `ref` (`docker://HOST/REPO:TAG`, `oci:DIR:TAG`, ...).

    `raw=True` returns the manifest itself, `config=True` the image config blob.
    """
    args = ["inspect", *_tls(ref, "--tls-verify")]
    if creds is not None:
        args += ["--creds", creds]
    if raw:
        args.append("--raw")
    if config:
        args.append("--config")
    doc = json.loads(skopeo(*args, ref))
    assert isinstance(doc, dict)
    return doc


def skopeo_copy(src: str, dest: str, *, src_creds: str | None = None,
                dest_creds: str | None = None, extra: Sequence[str] = ()) -> None:
    """`skopeo copy` between any transports, plain HTTP allowed for docker:// refs."""
    args = ["copy", "--quiet", *_tls(src, "--src-tls-verify"), *_tls(dest, "--dest-tls-verify")]
    if src_creds is not None:
        args += ["--src-creds", src_creds]
    if dest_creds is not None:
        args += ["--dest-creds", dest_creds]
    skopeo(*args, *extra, src, dest)
