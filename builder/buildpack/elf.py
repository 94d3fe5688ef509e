"""Reading an ELF header: is this file a shared object the image's architecture can load?

A native module (Node's `.node`, Python's `.so`, a JNI library) that is a stub,
a text file, a Mach-O or Windows build, or an ELF object for another CPU
installs without complaint and fails only when the app loads it. The first 20
bytes of the file say which (the System V ABI's ELF header: `e_ident`,
`e_type`, `e_machine`), so a buildpack can refuse it before export.

    describe(path)             -> Elf | str     the header, or what the file is instead
    shared_object_problem(path, "amd64")  -> None when it loads on linux/amd64, else why not
    dynamic(path)              -> Dynamic | None  the libraries it needs (DT_NEEDED) and its search path

Architectures are named as in OCI platforms (`amd64`, `arm64`, …), like the
rest of dockless.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

# e_machine values (System V ABI / glibc elf.h) for the OCI architecture names.
MACHINES = {
    "386": 3, "amd64": 62, "arm": 40, "arm64": 183, "ppc64le": 21, "ppc64": 21,
    "s390x": 22, "riscv64": 243, "mips64le": 8, "loong64": 258,
}
_NAMES = {3: "i386", 8: "MIPS", 20: "PowerPC", 21: "PowerPC64", 22: "s390", 40: "ARM", 62: "x86-64",
          183: "AArch64", 243: "RISC-V", 258: "LoongArch"}
_WIDTH = {"386": 1, "arm": 1}  # ELFCLASS32; every other architecture here is ELFCLASS64 (2)
ET_DYN = 3
_TYPES = {0: "no file type", 1: "relocatable object (.o)", 2: "executable", 3: "shared object", 4: "core dump"}
_MAGICS = (
    (b"\xcf\xfa\xed\xfe", "a macOS (Mach-O 64-bit) file"), (b"\xce\xfa\xed\xfe", "a macOS (Mach-O) file"),
    (b"\xca\xfe\xba\xbe", "a macOS universal (Mach-O fat) file"), (b"MZ", "a Windows (PE) file"),
    (b"!<arch>", "a static library (ar archive)"), (b"#!", "a script"),
)


@dataclass(frozen=True)
class Elf:
    """The identifying part of an ELF header."""

    bits: int         # 32 or 64 (EI_CLASS)
    little: bool      # EI_DATA: little-endian
    type: int         # e_type: 1 REL, 2 EXEC, 3 DYN (shared object, or a PIE executable)
    machine: int      # e_machine

    @property
    def machine_name(self) -> str:
        return _NAMES.get(self.machine, f"machine {self.machine}")

    @property
    def type_name(self) -> str:
        return _TYPES.get(self.type, f"type {self.type}")


def describe(path: Path) -> Elf | str:
    """The ELF header of `path`, or a short description of what the file is instead."""
    try:
        with path.open("rb") as f:
            head = f.read(20)
    except OSError as exc:
        return f"unreadable ({exc.strerror or exc})"
    if len(head) < 20 or head[:4] != b"\x7fELF":
        if not head:
            return "an empty file"
        for magic, what in _MAGICS:
            if head.startswith(magic):
                return what
        if len(head) < 20 and head.startswith(b"\x7fELF"):
            return "a truncated ELF file"
        return "a text file" if _is_text(head) else "not an ELF file"
    bits = {1: 32, 2: 64}.get(head[4], 0)
    little = head[5] == 1
    e_type, e_machine = struct.unpack("<HH" if little else ">HH", head[16:20])
    return Elf(bits, little, e_type, e_machine)


def shared_object_problem(path: Path, arch: str) -> str | None:
    """None when `path` is an ELF shared object for `arch` (OCI name); else what it is instead."""
    found = describe(path)
    want = MACHINES.get(arch)
    if isinstance(found, str):
        return f"{found}, not an ELF shared object"
    if found.type != ET_DYN:
        return f"an ELF {found.type_name}, not a shared object"
    if want is not None and (found.machine != want or found.bits != (32 if _WIDTH.get(arch) == 1 else 64)):
        return f"built for {found.machine_name} ({found.bits}-bit), not {arch}"
    if arch == "ppc64le" and not found.little:
        return "built for big-endian PowerPC64, not ppc64le"
    return None


def _is_text(head: bytes) -> bool:
    return all(b in b"\t\n\r\f" or 32 <= b < 127 for b in head)


@dataclass(frozen=True)
class Dynamic:
    """An ELF object's dynamic section, as the dynamic loader reads it (System V ABI, ld.so(8)).

    `needed` are the DT_NEEDED sonames in order; `runpath` the DT_RUNPATH
    directories (else DT_RPATH's), `$ORIGIN` left for the caller to expand;
    `inherited` is True when they are DT_RPATH's, which ld.so also searches for
    the objects this one loads (DT_RUNPATH applies to its own needs only);
    `soname` is DT_SONAME ("" when absent).
    """

    needed: tuple[str, ...]
    runpath: tuple[str, ...]
    inherited: bool = False
    soname: str = ""


_DT_NEEDED, _DT_STRTAB, _DT_SONAME, _DT_RPATH, _DT_RUNPATH = 1, 5, 14, 15, 29
_PT_LOAD, _PT_DYNAMIC = 1, 2


def dynamic(path: Path) -> Dynamic | None:
    """The dynamic section of the ELF file at `path`; None for a file that is not ELF, is static or is cut short."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if len(data) < 52 or data[:4] != b"\x7fELF" or data[4] not in (1, 2):
        return None
    wide, end = data[4] == 2, "<" if data[5] == 1 else ">"
    try:
        if wide:
            phoff, phentsize, phnum = (struct.unpack_from(end + "Q", data, 32)[0],
                                       *struct.unpack_from(end + "HH", data, 54))
        else:
            phoff, phentsize, phnum = (struct.unpack_from(end + "I", data, 28)[0],
                                       *struct.unpack_from(end + "HH", data, 42))
        loads: list[tuple[int, int, int]] = []  # (vaddr, offset, filesz)
        dyn: tuple[int, int] | None = None  # (offset, filesz)
        for i in range(phnum):
            at = phoff + i * phentsize
            if wide:
                ptype, _, offset, vaddr, _, filesz = struct.unpack_from(end + "IIQQQQ", data, at)
            else:
                ptype, offset, vaddr, _, filesz = struct.unpack_from(end + "IIIII", data, at)
            if ptype == _PT_LOAD:
                loads.append((vaddr, offset, filesz))
            elif ptype == _PT_DYNAMIC:
                dyn = (offset, filesz)
        if dyn is None:
            return None
        entry = struct.Struct(end + ("qQ" if wide else "iI"))
        tags: list[tuple[int, int]] = []
        for at in range(dyn[0], dyn[0] + dyn[1] - entry.size + 1, entry.size):
            tag, value = entry.unpack_from(data, at)
            if tag == 0:
                break
            tags.append((tag, value))
        strtab = next((v for t, v in tags if t == _DT_STRTAB), None)
        base = next((off + strtab - va for va, off, size in loads if strtab is not None and va <= strtab < va + size),
                    None)
        if base is None:
            return None

        def text(offset: int) -> str:
            stop = data.index(b"\0", base + offset)
            return data[base + offset:stop].decode("utf-8", "replace")

        needed = tuple(text(v) for t, v in tags if t == _DT_NEEDED)
        runpath = [text(v) for t, v in tags if t == _DT_RUNPATH]
        paths = runpath or [text(v) for t, v in tags if t == _DT_RPATH]  # with DT_RUNPATH, ld.so ignores DT_RPATH
        soname = next((text(v) for t, v in tags if t == _DT_SONAME), "")
        return Dynamic(needed, tuple(d for p in paths for d in p.split(":") if d), not runpath and bool(paths),
                       soname)
    except (struct.error, ValueError):
        return None
