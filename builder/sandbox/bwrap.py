"""The build sandbox: a command run with bubblewrap inside the stack's build root filesystem.

    /                 a fresh tmpfs; each top-level entry of the build root bound read-only into it
    /workspace        the host workspace, read-write
    <mount targets>   the host directories a buildpack asks for (e.g. /layers/nodejs/node)
    /tmp, /home/app   tmpfs (or the given home directory), writable
    /proc /dev        private; the network is the host's
    /etc/resolv.conf, /etc/hosts, /etc/ssl/certs/ca-certificates.crt   the host's, read-only
    /dockless/java-truststore.p12   the same CAs for JVMs (JAVA_TOOL_OPTIONS points at it)

It runs as uid/gid 1000 ("app") in a new user namespace, so the build root never needs
to be owned by root and files written to /workspace belong to whoever runs dockless.
The environment is cleared: only PATH, HOME, LANG, the host's CA and proxy variables
and what the caller passes get in; the caller's PATH goes in front of the build root's.
"""

from __future__ import annotations

import posixpath
import subprocess
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from builder.errors import BuildError
from builder.lifecycle.contract import APP_GID, APP_UID, WORKSPACE, Mount

from .process import run_streaming
from .trust import DEBIAN_BUNDLE, HostTrust

PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
HOME = "/home/app"
JAVA_TRUSTSTORE = "/dockless/java-truststore.p12"  # a new top-level path: the sandbox's / is a tmpfs
_PRIVATE = ("dev", "proc", "sys", "tmp")  # never taken from the build root
_WRITABLE = ("/tmp", HOME)


class BwrapExecutor:
    """Runs build commands in the build root with bubblewrap (implements lifecycle's Executor)."""

    def __init__(
        self,
        rootfs: Path,
        workspace: Path,
        *,
        trust: HostTrust = HostTrust(),
        log: Callable[[str], None] | None = None,
        home: Path | None = None,
        bwrap: str = "bwrap",
        java_truststore: Path | None = None,
    ) -> None:
        self.rootfs = rootfs
        self.workspace = workspace
        self.trust = trust
        self.log = log
        self.home = home
        self.bwrap = bwrap
        self.java_truststore = java_truststore

    def run(
        self, argv: Sequence[str], *, what: str, cwd: str = WORKSPACE, env: Mapping[str, str] | None = None,
        mounts: Sequence[Mount] = (),
    ) -> subprocess.CompletedProcess[str]:  # fmt: skip
        command = [*self.command(mounts, cwd), *argv]
        # The environment reaches the command through bwrap's own environment, never its
        # argv: argv is world-readable in /proc, and build env may hold tokens.
        return run_streaming(command, what=what, cwd=None, env=self.environment(env), log=self.log)

    def command(self, mounts: Sequence[Mount] = (), cwd: str = WORKSPACE) -> list[str]:
        """The bwrap argv up to (not including) the command itself; run it with `environment()`."""
        args = [self.bwrap, "--unshare-user", "--uid", str(APP_UID), "--gid", str(APP_GID), "--unshare-pid",
                "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try", "--hostname", "dockless",
                "--die-with-parent", "--new-session"]  # fmt: skip
        for entry in sorted(self.rootfs.iterdir()):
            if entry.name in _PRIVATE:
                continue
            if entry.is_symlink():
                args += ["--symlink", str(entry.readlink()), f"/{entry.name}"]
            else:
                args += ["--ro-bind", str(entry), f"/{entry.name}"]
        args += ["--dev", "/dev", "--proc", "/proc", "--perms", "1777", "--tmpfs", "/tmp"]
        args += ["--bind", str(self.home), HOME] if self.home else ["--tmpfs", HOME]
        for host in ("/etc/resolv.conf", "/etc/hosts"):
            if Path(host).exists():
                args += ["--ro-bind", host, host]
        if self.trust.ca_bundle:
            args += ["--ro-bind", str(self.trust.ca_bundle), DEBIAN_BUNDLE]
        if self.java_truststore:
            args += ["--ro-bind", str(self.java_truststore), JAVA_TRUSTSTORE]
        args += ["--bind", str(self.workspace), WORKSPACE]
        for mount in sorted(mounts, key=lambda m: m.target.count("/")):
            args += [("--bind" if mount.writable else "--ro-bind"), str(self._host(mount)), self._target(mount)]
        args += ["--chdir", cwd]
        return args

    def environment(self, env: Mapping[str, str] | None = None) -> dict[str, str]:
        """The whole environment of a sandboxed command (bwrap passes its own on unchanged).

        The caller's PATH goes in front of the build root's; its other variables win.
        """
        java = JAVA_TRUSTSTORE if self.java_truststore else None
        full = {"PATH": PATH, "HOME": HOME, "LANG": "C.UTF-8", "USER": "app", **self.trust.env(DEBIAN_BUNDLE, java),
                **(env or {})}  # fmt: skip
        if env and env.get("PATH"):
            full["PATH"] = f"{env['PATH']}:{PATH}"
        return full

    def _host(self, mount: Mount) -> Path:
        if not mount.host.exists():
            raise BuildError(f"cannot mount {mount.host} at {mount.target}: it does not exist", "this is a bug in the buildpack")
        return mount.host

    def _target(self, mount: Mount) -> str:
        """A mount target bwrap can create: under a writable place, or a path the build root already has."""
        target = posixpath.normpath(mount.target)
        if not target.startswith("/") or target == "/" or ".." in target.split("/"):
            raise BuildError(f"cannot mount at '{mount.target}'", "mount targets are absolute paths below /")
        top = target.split("/")[1]
        inside = (self.rootfs / top).exists() and not any(target.startswith(w + "/") for w in (*_WRITABLE, WORKSPACE))
        if inside and not (self.rootfs / target.lstrip("/")).exists():
            raise BuildError(
                f"cannot mount at '{target}': the build root's /{top} is read-only and has no such path",
                "mount under /layers, /workspace, /tmp or another new top-level directory",
            )
        return target

    def probe(self) -> str | None:
        """None when a trivial command runs in this sandbox; else why it does not."""
        try:
            proc = subprocess.run([*self.command(cwd="/"), "true"], env=self.environment(), capture_output=True,
                                  text=True, timeout=60, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return str(exc)
        if proc.returncode != 0:
            return (proc.stderr.strip().splitlines() or [f"exit {proc.returncode}"])[-1]
        return None
