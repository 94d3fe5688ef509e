"""Reading .deb files made here, byte by byte, including malicious ones."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import subprocess
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest

from builder.errors import StackError
from builder.stack.debian import Deb, dpkg_list

Spec = tuple[str, str, bytes | str]  # (name, kind, data or link target)


def ar(members: list[tuple[str, bytes]]) -> bytes:
    """An ar archive as dpkg-deb writes it."""
    out = bytearray(b"!<arch>\n")
    for name, data in members:
        out += f"{name:<16}{0:<12}{0:<6}{0:<6}{100644:<8}{len(data):<10}`\n".encode()
        out += data + (b"\n" if len(data) % 2 else b"")
    return bytes(out)


def tar(specs: list[Spec]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT) as out:
        for name, kind, payload in specs:
            info = tarfile.TarInfo(name)
            info.mtime = 1700000000
            if kind == "file":
                assert isinstance(payload, bytes)
                info.size, info.mode = len(payload), 0o755 if name.endswith("tool") else 0o644
                out.addfile(info, io.BytesIO(payload))
                continue
            info.type = {
                "dir": tarfile.DIRTYPE,
                "symlink": tarfile.SYMTYPE,
                "hardlink": tarfile.LNKTYPE,
                "fifo": tarfile.FIFOTYPE,
            }[kind]
            info.mode = 0o755
            info.linkname = str(payload)
            out.addfile(info)
    return buffer.getvalue()


COMPRESS: dict[str, Callable[[bytes], bytes]] = {
    "xz": lzma.compress,
    "gz": gzip.compress,
    "bz2": bz2.compress,
    "zst": lambda data: subprocess.run(["zstd", "-q", "-c"], input=data, capture_output=True, check=True).stdout,
    "": lambda data: data,
}
CONTROL = "Package: tool\nVersion: 1.0-1\nArchitecture: amd64\nDescription: a tool\n"
GOOD: list[Spec] = [
    ("./", "dir", ""),
    ("./usr/", "dir", ""),
    ("./usr/bin/", "dir", ""),
    ("./usr/bin/tool", "file", b"#!/bin/sh\necho tool\n"),
    ("./usr/bin/alias", "symlink", "tool"),
    ("./usr/bin/same", "hardlink", "./usr/bin/tool"),
    ("./etc/", "dir", ""),
    ("./etc/tool.conf", "file", b"x=1\n"),
]


def make_deb(path: Path, data: list[Spec], *, codec: str = "xz") -> Path:
    control = tar([
        ("./", "dir", ""),
        ("./control", "file", CONTROL.encode()),
        ("./conffiles", "file", b"/etc/tool.conf\n"),
        ("./md5sums", "file", b"0123  usr/bin/tool\n"),
        ("./postinst", "file", b"#!/bin/sh\nexit 1\n"),
    ])  # fmt: skip
    data_name = "data.tar" + (f".{codec}" if codec else "")
    path.write_bytes(ar([
        ("debian-binary", b"2.0\n"),
        ("control.tar.xz", lzma.compress(control)),
        (data_name, COMPRESS[codec](tar(data))),
    ]))  # fmt: skip
    return path


@pytest.mark.parametrize("codec", ["xz", "gz", "bz2", "zst", ""])
def test_entries_of_a_good_deb(tmp_path: Path, codec: str) -> None:
    deb = Deb(make_deb(tmp_path / "tool.deb", GOOD, codec=codec))
    entries = list(deb.entries())
    assert [e.path for e in entries] == [
        "usr",
        "usr/bin",
        "usr/bin/tool",
        "usr/bin/alias",
        "usr/bin/same",
        "etc",
        "etc/tool.conf",
    ]
    tool, alias, same = entries[2:5]
    assert (tool.kind, tool.mode, tool.data, tool.size, tool.mtime) == (
        "file",
        0o755,
        b"#!/bin/sh\necho tool\n",
        20,
        1700000000,
    )
    assert (alias.kind, alias.target) == ("symlink", "tool")
    assert (same.kind, same.target) == ("hardlink", "usr/bin/tool")
    assert entries[0].kind == "dir" and entries[0].uid == 0
    assert deb.files() == [
        "/.",
        "/usr",
        "/usr/bin",
        "/usr/bin/tool",
        "/usr/bin/alias",
        "/usr/bin/same",
        "/etc",
        "/etc/tool.conf",
    ]


def test_control_is_read_without_running_scripts(tmp_path: Path) -> None:
    control = Deb(make_deb(tmp_path / "tool.deb", GOOD)).control()
    assert control.text == CONTROL
    assert (control.package, control.version, control.fields["Architecture"]) == ("tool", "1.0-1", "amd64")
    assert control.conffiles == ("/etc/tool.conf",)
    assert control.md5sums == "0123  usr/bin/tool\n"
    assert control.scripts == ("postinst",)


@pytest.mark.parametrize(
    ("evil", "why"),
    [
        ([("../x", "file", b"owned")], "'..'"),
        ([("./usr/../../x", "file", b"owned")], "'..'"),
        ([("/etc/passwd", "file", b"owned")], "absolute"),
        ([("./h", "hardlink", "../../etc/shadow")], "'..'"),
        ([("./h", "hardlink", "/etc/shadow")], "absolute"),
        ([("./h", "hardlink", "./usr/bin/nothere")], "not a file earlier"),
        ([("./lib", "symlink", "/etc"), ("./lib/passwd", "file", b"owned")], "through a symlink"),
        ([("./pipe", "fifo", "")], "special file"),
    ],
    ids=[
        "dotdot",
        "dotdot-inside",
        "absolute",
        "hardlink-dotdot",
        "hardlink-absolute",
        "hardlink-missing",
        "via-symlink",
        "fifo",
    ],
)
def test_entries_escaping_the_root_are_refused(tmp_path: Path, evil: list[Spec], why: str) -> None:
    deb = Deb(make_deb(tmp_path / "evil.deb", [("./", "dir", ""), *evil]))
    with pytest.raises(StackError, match=r"evil\.deb was refused") as caught:
        list(deb.entries())
    assert why in caught.value.message


def test_damaged_debs_are_stack_errors(tmp_path: Path) -> None:
    not_ar = tmp_path / "not.deb"
    not_ar.write_bytes(b"PK\x03\x04 a zip file")
    with pytest.raises(StackError, match=r"not a \.deb"):
        list(Deb(not_ar).entries())

    no_data = tmp_path / "nodata.deb"
    no_data.write_bytes(ar([("debian-binary", b"2.0\n")]))
    with pytest.raises(StackError, match=r"no data\.tar member"):
        list(Deb(no_data).entries())

    good = make_deb(tmp_path / "good.deb", GOOD).read_bytes()
    truncated = tmp_path / "truncated.deb"
    truncated.write_bytes(good[: len(good) - 40])
    with pytest.raises(StackError, match="could not be read"):
        list(Deb(truncated).entries())

    cut_zstd = make_deb(tmp_path / "zst.deb", GOOD, codec="zst").read_bytes()
    truncated.write_bytes(cut_zstd[: len(cut_zstd) - 40])
    with pytest.raises(StackError, match="could not be read"):
        list(Deb(truncated).entries())


def test_dpkg_list_format() -> None:
    assert dpkg_list(["etc", "etc/services"]) == ["/.", "/etc", "/etc/services"]
