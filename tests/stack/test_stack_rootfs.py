"""Assembling a root filesystem from .debs, on small packages made here with dpkg-deb (no network)."""

from __future__ import annotations

import shutil
import subprocess
import tarfile
import io
from pathlib import Path

import pytest

from builder.image.tarball import write_tar
from builder.stack.configure import configure
from builder.stack.debian import Package
from builder.stack.sink import DirSink, MemorySink
from builder.stack.unpack import Trim, unpack, usr_path

pytestmark = pytest.mark.skipif(shutil.which("dpkg-deb") is None, reason="dpkg-deb is needed to make test packages")


def make_deb(tmp: Path, name: str, files: dict[str, str | bytes], *, links: dict[str, str] | None = None,
             control: str = "", version: str = "1.0") -> tuple[Package, Path]:  # fmt: skip
    """A real .deb with `files` (path → content) and `links` (path → symlink target)."""
    root = tmp / f"{name}-src"
    (root / "DEBIAN").mkdir(parents=True)
    (root / "DEBIAN" / "control").write_text(
        f"Package: {name}\nVersion: {version}\nArchitecture: amd64\nMaintainer: t <t@example.org>\n"
        f"Description: test package {name}\n{control}"
    )
    for path, content in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content.encode() if isinstance(content, str) else content)
    for path, link in (links or {}).items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).symlink_to(link)
    deb = tmp / f"{name}.deb"
    subprocess.run(["dpkg-deb", "--root-owner-group", "-Zgzip", "-b", str(root), str(deb)], check=True,
                   capture_output=True)  # fmt: skip
    fields = {"Package": name, "Version": version, "Architecture": "amd64", "Filename": f"pool/{name}.deb",
              "Size": str(deb.stat().st_size), "SHA256": "0" * 64}  # fmt: skip
    return Package.from_fields(fields), deb


def test_paths_outside_usr_move_into_usr_and_relative_links_still_resolve(tmp_path: Path) -> None:
    pkg = make_deb(tmp_path, "old", {"bin/tool": "#!/bin/sh\n", "lib/x86_64-linux-gnu/libold.so.1": "elf"},
                   links={"bin/alias": "../usr/share/old/target", "lib/x86_64-linux-gnu/libold.so": "libold.so.1"})
    sink = MemorySink()
    [installed] = unpack([pkg], sink)
    entries = {e.path: e for e in sink.entries()}
    assert entries["usr/bin/tool"].kind == "file"
    assert entries["usr/lib/x86_64-linux-gnu/libold.so.1"].kind == "file"
    assert entries["usr/bin/alias"].link == "../share/old/target"  # /usr/share/old/target from /usr/bin
    assert entries["usr/lib/x86_64-linux-gnu/libold.so"].link == "libold.so.1"
    assert not any(p == "bin" or p.startswith(("bin/", "lib/")) for p in entries)
    assert "bin/tool" in installed.paths  # dpkg's .list keeps the shipped name
    assert usr_path("lib64/ld.so") == "usr/lib64/ld.so" and usr_path("bin") == "bin"


def test_conflicts_are_settled_by_replaces_then_name_order_whatever_the_input_order(tmp_path: Path) -> None:
    a = make_deb(tmp_path, "aaa", {"usr/share/x/file": "from aaa", "usr/share/x/other": "from aaa"})
    b = make_deb(tmp_path, "bbb", {"usr/share/x/file": "from bbb"})
    c = make_deb(tmp_path, "ccc", {"usr/share/x/other": "from ccc"}, control="Replaces: aaa\n")
    for order in ([a, b, c], [c, b, a], [b, a, c]):
        sink = MemorySink()
        messages: list[str] = []
        installed = unpack(order, sink, log=messages.append)
        assert sink.read("usr/share/x/file") == b"from aaa"
        assert sink.read("usr/share/x/other") == b"from ccc"
        assert [i.package.name for i in installed] == ["aaa", "bbb", "ccc"]
        assert any("bbb: /usr/share/x/file is already provided by aaa" in m for m in messages)


def test_docs_man_pages_and_translations_are_trimmed_but_copyright_stays(tmp_path: Path) -> None:
    pkg = make_deb(tmp_path, "docs", {
        "usr/share/doc/docs/copyright": "GPL", "usr/share/doc/docs/changelog.gz": "x",
        "usr/share/man/man1/docs.1.gz": "x", "usr/share/locale/de/LC_MESSAGES/docs.mo": "x",
        "usr/share/info/docs.info": "x", "usr/share/docs/data": "kept",
    })  # fmt: skip
    sink = MemorySink()
    unpack([pkg], sink)
    paths = {e.path for e in sink.entries()}
    assert {"usr/share/doc/docs/copyright", "usr/share/docs/data"} <= paths
    assert not any(p.startswith(("usr/share/man/", "usr/share/locale/", "usr/share/info/")) for p in paths)
    assert "usr/share/doc/docs/changelog.gz" not in paths
    kept = MemorySink()
    unpack([pkg], kept, trim=Trim(docs=False, man=False, locales=False))
    assert kept.kind("usr/share/man/man1/docs.1.gz") == "file"


def certificate(name: str) -> str:
    return f"-----BEGIN CERTIFICATE-----\n{name}\n-----END CERTIFICATE-----"  # no final newline on purpose


def test_configure_writes_what_the_maintainer_scripts_would_have(tmp_path: Path) -> None:
    base = make_deb(tmp_path, "base-files", {"etc/debian_version": "13.1\n", "usr/share/base-files/profile": "P\n",
                                             "var/run/.keep": ""},
                    links={"bin": "usr/bin", "lib64": "usr/lib64"})  # fmt: skip
    dash = make_deb(tmp_path, "dash", {"usr/bin/dash": "ELF"})
    certs = make_deb(tmp_path, "ca-certificates", {
        "usr/share/ca-certificates/mozilla/B.crt": certificate("B"),
        "usr/share/ca-certificates/mozilla/A.crt": certificate("A") + "\n",
        "usr/share/ca-certificates/mozilla/\u00c9.crt": certificate("E"),
    }, control="Multi-Arch: foreign\n")  # fmt: skip
    sink = MemorySink()
    installed = unpack([base, dash, certs], sink)
    configure(sink, installed)
    assert sink.read("etc/ssl/certs/ca-certificates.crt").decode() == "".join(
        certificate(n) + "\n" for n in "ABE"
    )
    assert sink.read("etc/ca-certificates.conf").decode().splitlines()[-3:] == [
        "mozilla/A.crt", "mozilla/B.crt", "mozilla/\u00c9.crt"
    ]  # fmt: skip
    entries = {e.path: e for e in sink.entries()}
    assert entries["usr/bin/sh"].link == "dash"
    assert entries["tmp"].mode == 0o1777 and entries["var/tmp"].mode == 0o1777
    assert entries["var/run"].kind == "symlink" and entries["var/run"].link == "/run"
    assert not any(p.startswith("var/run/") for p in entries)
    assert sink.read("etc/profile") == b"P\n"
    passwd = sink.read("etc/passwd").decode()
    assert "app:x:1000:1000:app:/home/app:/bin/sh" in passwd and passwd.startswith("root:x:0:0:")
    assert "nobody:x:65534:65534:" in passwd
    assert "app:x:1000:" in sink.read("etc/group").decode()
    assert entries["home/app"].uid == 1000 and entries["etc/shadow"].mode == 0o640
    status = sink.read("var/lib/dpkg/status").decode()
    assert [line for line in status.splitlines() if line.startswith("Package:")] == [
        "Package: base-files", "Package: ca-certificates", "Package: dash"
    ]  # fmt: skip
    assert status.count("Status: install ok installed") == 3
    listing = sink.read("var/lib/dpkg/info/dash.list").decode().splitlines()
    assert listing[0] == "/." and "/usr/bin/dash" in listing


def test_the_same_packages_give_the_same_layer_bytes(tmp_path: Path) -> None:
    pkgs = [make_deb(tmp_path, n, {f"usr/share/{n}/f": n}) for n in ("one", "two", "three")]

    def tar_bytes(order: list[tuple[Package, Path]]) -> bytes:
        sink = MemorySink()
        configure(sink, unpack(order, sink))
        out = io.BytesIO()
        write_tar(sink.entries(), out)
        return out.getvalue()

    assert tar_bytes(pkgs) == tar_bytes(list(reversed(pkgs)))


def test_hardlinks_survive_in_memory_and_on_disk(tmp_path: Path) -> None:
    pkg = make_deb(tmp_path, "hl", {"usr/bin/zz": "same bytes"})
    # rebuild the package with a hard link whose name sorts before its target
    root = tmp_path / "hl-src"
    (root / "usr" / "bin" / "aa").hardlink_to(root / "usr" / "bin" / "zz")
    subprocess.run(["dpkg-deb", "--root-owner-group", "-Zgzip", "-b", str(root), str(pkg[1])], check=True,
                   capture_output=True)  # fmt: skip
    memory = MemorySink()
    unpack([pkg], memory)
    assert memory.read("usr/bin/aa") == memory.read("usr/bin/zz") == b"same bytes"
    out = io.BytesIO()
    write_tar(memory.entries(), out)  # refuses a hard link that precedes its target
    with tarfile.open(fileobj=io.BytesIO(out.getvalue())) as tar:
        assert {m.name for m in tar.getmembers()} >= {"usr/bin/aa", "usr/bin/zz"}
    disk = DirSink(tmp_path / "root")
    unpack([pkg], disk)
    assert (tmp_path / "root/usr/bin/aa").read_bytes() == b"same bytes"
