"""The dpkg database entries scanners read (syft, trivy, grype): status, and info/<pkg>.list/.md5sums.

dpkg writes these as it installs; dockless never runs dpkg, so it writes them itself:
one `Status: install ok installed` paragraph per package, sorted by name, carrying
the package's control fields verbatim. Layers added on top of a stack use the
distroless `status.d/<pkg>` form instead, so they never have to rewrite the base's file.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from builder.image.tarball import Entry
from builder.stack.debian import dpkg_list

from .sink import Sink
from .unpack import Installed, usr_path

DPKG = "var/lib/dpkg"


def write_dpkg_status(sink: Sink, installed: Sequence[Installed], base_status: str = "") -> None:
    """/var/lib/dpkg/status and the info files for every package, as dpkg leaves them.

    `base_status` is the status file of a tree the packages were added to (an
    extended build root): its paragraphs stay, in the same name order, and only
    the new packages get info files (the base's are already there).
    """
    ordered = sorted(installed, key=lambda item: item.package.name)
    paragraphs = status_paragraphs(base_status)
    paragraphs.update((item.package.name, status_paragraph(item, sink)) for item in ordered)
    status = "\n".join(paragraphs[name] for name in sorted(paragraphs))
    sink.add(Entry(f"{DPKG}/status", data=status.encode()))
    sink.add(Entry(f"{DPKG}/available", data=b""))
    _write_info(sink, ordered)


def write_dpkg_status_d(sink: Sink, installed: Sequence[Installed]) -> None:
    """One `/var/lib/dpkg/status.d/<pkg>` paragraph per package (plus the info files), for an added layer."""
    for item in installed:
        sink.add(Entry(f"{DPKG}/status.d/{item.package.name}", data=status_paragraph(item, sink).encode()))
    _write_info(sink, installed)


def status_paragraph(item: Installed, sink: Sink) -> str:
    """The package's control text with the Status field dpkg adds, and its Conffiles with their md5sums."""
    lines = item.control.text.rstrip("\n").split("\n")
    out = [lines[0], "Status: install ok installed", *lines[1:]]
    conffiles = [(path, _md5(sink, path)) for path in item.control.conffiles]
    present = [(path, digest) for path, digest in conffiles if digest]
    if present:
        out.append("Conffiles:")
        out += [f" {path} {digest}" for path, digest in present]
    return "\n".join(out) + "\n"


def status_paragraphs(status: str) -> dict[str, str]:
    """Package name → its paragraph (ending in one newline), from a status file's text."""
    found: dict[str, str] = {}
    for block in status.split("\n\n"):
        block = block.strip("\n")
        if block.startswith("Package: "):
            found[block.split("\n", 1)[0][len("Package: "):].strip()] = block + "\n"
    return found


def _write_info(sink: Sink, installed: Sequence[Installed]) -> None:
    for item in installed:
        name = info_name(item)
        sink.add(Entry(f"{DPKG}/info/{name}.list", data="".join(f"{line}\n" for line in dpkg_list(item.paths)).encode()))
        if item.control.md5sums:
            sink.add(Entry(f"{DPKG}/info/{name}.md5sums", data=item.control.md5sums.encode()))
        if item.control.conffiles:
            sink.add(Entry(f"{DPKG}/info/{name}.conffiles", data="".join(f"{c}\n" for c in item.control.conffiles).encode()))


def info_name(item: Installed) -> str:
    """dpkg names Multi-Arch: same packages' info files `<pkg>:<arch>`."""
    package = item.package
    return f"{package.name}:{package.architecture}" if package.multi_arch == "same" else package.name


def _md5(sink: Sink, path: str) -> str:
    where = usr_path(path.lstrip("/"))
    if sink.kind(where) != "file":
        return ""
    return hashlib.md5(sink.read(where), usedforsecurity=False).hexdigest()
