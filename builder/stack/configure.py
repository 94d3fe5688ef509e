"""What the maintainer scripts of the stack's packages would have done, done as plain file entries.

dockless unpacks packages without running their scripts (no dpkg, no root, no
emulation for foreign architectures). The scripts' lasting effects that matter in a
container are reproduced here, each only when its package is present:

- base-files: /etc/profile, root's dot files, /run/lock, /var/run → /run, /usr/local/*
- dash: /bin/sh → dash;  tzdata: /etc/localtime → UTC
- ca-certificates: the CA bundle (certs.py);  update-alternatives links (cc, c++, awk…)
- openssl's /usr/lib/ssl links, so OpenSSL's default paths find the bundle without `openssl`
- accounts (accounts.py), /tmp and /var/tmp with mode 1777, and the dpkg database (dpkgdb.py)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from builder.image.tarball import Entry

from .accounts import APP_USER, User, write_accounts
from .certs import BUNDLE, write_ca_bundle
from .dpkgdb import write_dpkg_status
from .sink import Sink
from .unpack import Installed

# (link, alternative name, target): the update-alternatives --install lines of trixie's packages.
ALTERNATIVES = (
    ("usr/bin/awk", "awk", "/usr/bin/mawk"),
    ("usr/bin/nawk", "nawk", "/usr/bin/mawk"),
    ("usr/bin/cc", "cc", "/usr/bin/gcc"),
    ("usr/bin/c89", "c89", "/usr/bin/c89-gcc"),
    ("usr/bin/c99", "c99", "/usr/bin/c99-gcc"),
    ("usr/bin/c++", "c++", "/usr/bin/g++"),
    ("usr/lib/cpp", "cpp", "/usr/bin/cpp"),
    ("usr/bin/which", "which", "/usr/bin/which.debianutils"),
    ("usr/sbin/rmt", "rmt", "/usr/sbin/rmt-tar"),
)

NSSWITCH = b"""passwd:         files
group:          files
shadow:         files
gshadow:        files
hosts:          files dns
networks:       files
protocols:      files
services:       files
ethers:         files
rpc:            files
"""


@dataclass(frozen=True)
class Setup:
    """Choices about the configured tree."""

    user: User = APP_USER
    timezone: str = "Etc/UTC"
    mount_points: bool = False
    """Create empty /etc/resolv.conf and /etc/hosts (a sandbox binds the host's over them)."""


def configure(sink: Sink, installed: Sequence[Installed], setup: Setup = Setup(), *, base_status: str = "") -> None:
    """Apply every script effect for the packages in `installed` to `sink`.

    `base_status`: the dpkg status of a configured tree `installed` were added to
    (see `builder.stack.extend`); its packages stay in the rewritten status file.
    """
    names = {item.package.name for item in installed}
    if "base-files" in names:
        _base_files(sink)
    if sink.kind("usr/bin/dash") == "file" and sink.kind("usr/bin/sh") is None:
        sink.add(Entry("usr/bin/sh", "symlink", 0o777, link="dash"))
    if sink.kind(f"usr/share/zoneinfo/{setup.timezone}") == "file":
        sink.add(Entry("etc/localtime", "symlink", 0o777, link=f"/usr/share/zoneinfo/{setup.timezone}"))
    for link, name, target in ALTERNATIVES:
        if sink.kind(target.lstrip("/")) is not None and sink.kind(link) is None:
            sink.add(Entry(f"etc/alternatives/{name}", "symlink", 0o777, link=target))
            sink.add(Entry(link, "symlink", 0o777, link=f"/etc/alternatives/{name}"))
    if write_ca_bundle(sink):
        _openssl_links(sink)
    if sink.kind("etc/nsswitch.conf") is None:
        sink.add(Entry("etc/nsswitch.conf", data=NSSWITCH))
    for tmp in ("tmp", "var/tmp"):
        sink.add(Entry(tmp, "dir", 0o1777))
    write_accounts(sink, setup.user)
    if setup.mount_points:
        for path in ("etc/resolv.conf", "etc/hosts"):
            if sink.kind(path) is None:
                sink.add(Entry(path, data=b""))
    write_dpkg_status(sink, installed, base_status)


def _base_files(sink: Sink) -> None:
    """base-files' postinst for a first install."""
    share = "usr/share/base-files"
    for source, target in (("profile", "etc/profile"), ("dot.profile", "root/.profile"),
                           ("dot.bashrc", "root/.bashrc"), ("motd", "etc/motd")):  # fmt: skip
        if sink.kind(f"{share}/{source}") == "file" and sink.kind(target) is None:
            sink.add(Entry(target, data=sink.read(f"{share}/{source}")))
    for directory in ("mnt", "srv", "opt", "etc/opt", "var/opt", "media"):
        sink.add(Entry(directory, "dir", 0o755))
    sink.add(Entry("var/mail", "dir", 0o2775, gid=8))
    sink.add(Entry("run/lock", "dir", 0o1777))
    for local in ("", "/share", "/share/man", "/bin", "/games", "/lib", "/libexec", "/include", "/sbin", "/src",
                  "/etc"):  # fmt: skip
        sink.add(Entry(f"usr/local{local}", "dir", 0o755))
    sink.add(Entry("usr/local/man", "symlink", 0o777, link="share/man"))
    for link, target in (("var/run", "/run"), ("var/lock", "/run/lock"), ("var/spool/mail", "../mail")):
        if sink.kind(link) != "symlink":
            _replace_dir_with_link(sink, link, target)
    if sink.kind("etc/dpkg/origins/debian") == "file":
        sink.add(Entry("etc/dpkg/origins/default", "symlink", 0o777, link="debian"))
    # Debian 13's base-files ships /bin -> usr/bin and friends; before it (bookworm) the usrmerge
    # package's script made them. Files already land under /usr (unpack.usr_path), so without the
    # links /lib64/ld-linux-x86-64.so.2 would be missing and no binary could start.
    # (lib64 holds only the ld.so link, which the sink may know as a link under an implicit directory.)
    for top in ("bin", "sbin", "lib", "lib64"):
        if sink.kind(top) is None:
            sink.add(Entry(top, "symlink", 0o777, link=f"usr/{top}"))


def _replace_dir_with_link(sink: Sink, path: str, target: str) -> None:
    if sink.kind(path) == "dir":
        sink.remove_dir(path)
    sink.add(Entry(path, "symlink", 0o777, link=target))


def _openssl_links(sink: Sink) -> None:
    """What the `openssl` package ships, so libssl's default CA paths reach the bundle without it."""
    for link, target in (("usr/lib/ssl/certs", "/etc/ssl/certs"), ("usr/lib/ssl/cert.pem", f"/{BUNDLE}")):
        if sink.kind(link) is None:
            sink.add(Entry(link, "symlink", 0o777, link=target))
