"""/etc/passwd, /etc/group and /etc/shadow for an image no `adduser` ever ran in.

root, nobody and one non-root user (uid/gid 1000, the image's default USER, as the
Knative runtime contract asks) — plus the few system groups that base-files' own
files are owned by.
"""

from __future__ import annotations

from dataclasses import dataclass

from builder.image.tarball import Entry

from .sink import Sink

SHADOW_GID = 42


@dataclass(frozen=True)
class User:
    """An account written into /etc/passwd and /etc/group of a stack image."""

    name: str
    uid: int
    gid: int
    home: str
    shell: str = "/bin/sh"


APP_USER = User("app", 1000, 1000, "/home/app")
"""The non-root user builds and apps run as."""

_SYSTEM_USERS = (User("root", 0, 0, "/root"), User("nobody", 65534, 65534, "/nonexistent", "/usr/sbin/nologin"))
_SYSTEM_GROUPS = (("root", 0), ("tty", 5), ("mail", 8), ("shadow", SHADOW_GID), ("utmp", 43), ("staff", 50),
                  ("nogroup", 65534))  # fmt: skip


def write_accounts(sink: Sink, user: User = APP_USER) -> None:
    """The account files and the user's home directory (owned by the user, so it can write there)."""
    users = (*_SYSTEM_USERS[:1], user, *_SYSTEM_USERS[1:])
    passwd = "".join(f"{u.name}:x:{u.uid}:{u.gid}:{u.name}:{u.home}:{u.shell}\n" for u in users)
    groups = sorted({*_SYSTEM_GROUPS, (user.name, user.gid)}, key=lambda g: g[1])
    group = "".join(f"{name}:x:{gid}:\n" for name, gid in groups)
    # "*" is no password at all: nobody logs in, `su` refuses, but the files are well-formed.
    shadow = "".join(f"{u.name}:*:20000:0:99999:7:::\n" for u in users)
    gshadow = "".join(f"{name}:*::\n" for name, _ in groups)
    sink.add(Entry("etc/passwd", data=passwd.encode()))
    sink.add(Entry("etc/group", data=group.encode()))
    sink.add(Entry("etc/shadow", mode=0o640, gid=SHADOW_GID, data=shadow.encode()))
    sink.add(Entry("etc/gshadow", mode=0o640, gid=SHADOW_GID, data=gshadow.encode()))
    sink.add(Entry(user.home.lstrip("/"), "dir", 0o755, user.uid, user.gid))
