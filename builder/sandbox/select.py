"""Choose where build commands run: the bubblewrap sandbox when it works here, else the host.

bubblewrap needs user namespaces, which an unprivileged container (a Tekton step,
a CI job in Docker) usually lacks. One trivial command tells; when it fails the
build still works, on the host, and says so once. The build root may be passed as a
function: it is then only made (a download of over 100 MB the first time) once
bubblewrap has been seen to work on the host's own root.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Literal

from builder.errors import BuildError, UsageError
from builder.lifecycle.contract import Executor

from .bwrap import BwrapExecutor
from .host import HostExecutor
from .trust import HostTrust

Mode = Literal["auto", "sandbox", "host"]

STEP_ENV = "DOCKLESS_BUILDER_SUITE"
"""Set (to its Debian suite) in the builder image, whose root filesystem is a build root: there, as in a
Tekton or Knative Build step with no privileges, build commands run in the container itself."""


def select_executor(
    rootfs: Path | Callable[[], Path] | None,
    workspace: Path,
    *,
    env: Mapping[str, str],
    mode: Mode = "auto",
    log: Callable[[str], None] | None = None,
    notice: Callable[[str], None] | None = None,
    home: Path | None = None,
    state_dir: Path | None = None,
    packages_root: Callable[[], Path] | None = None,
    suite: str | None = None,
) -> Executor:
    """A sandbox in `rootfs` if it works (or `mode` says so), else the host; `notice` hears about a fallback.

    `rootfs` may be a function that makes it, called only when the sandbox can run here.
    `env` is the host environment (read once, here): it gives the CA bundle, proxy variables and,
    for the host executor, PATH. `state_dir` keeps files made from the host's trust (the
    Java truststore); default: a private per-user directory under the system temp dir.

    `packages_root` makes a directory holding the Debian packages buildpacks asked for at
    build; it is called only for the host executor (the sandbox's `rootfs` already holds
    them), whose PATH and LD_LIBRARY_PATH then reach them (best effort, see host.py).

    In the builder image (`STEP_ENV` set) the container is the build root of its suite:
    commands run in it directly, with no probe, and packages of that same `suite` are
    not best effort.
    """
    step_suite = env.get(STEP_ENV)
    trust = HostTrust.from_env(env)
    try:
        java = trust.java_truststore(state_dir or private_dir(Path(tempfile.gettempdir()) / f"dockless-{os.getuid()}"))
    except BuildError as exc:  # only JVMs need it: the build goes on, and says why JVMs lose the host's CAs
        java = None
        if notice:
            notice(f"{exc.message}; JVMs use their own trust")

    def host() -> HostExecutor:
        packages = packages_root() if packages_root is not None else None
        say = notice or log
        if packages is not None and say and not (step_suite and step_suite == suite):
            say(f"build packages are used from {packages} on the host (best effort: the host's libc may be older)")
        return HostExecutor(workspace, trust=trust, host_path=env.get("PATH", "/usr/local/bin:/usr/bin:/bin"), log=log,
                            home=home, java_truststore=java, packages_root=packages)  # fmt: skip

    if mode == "host" or (step_suite and mode == "auto"):
        return host()
    why = "no build root filesystem was given"
    if rootfs is not None:
        bwrap = shutil.which("bwrap", path=env.get("PATH"))
        why = "bwrap is not installed"
        if bwrap is not None:
            failure = probe_bwrap(bwrap)
            if failure is None:
                root = rootfs() if callable(rootfs) else rootfs
                sandbox = BwrapExecutor(root, workspace, trust=trust, log=log, home=home, bwrap=bwrap,
                                        java_truststore=java)
                failure = sandbox.probe()
                if failure is None:
                    return sandbox
            why = f"bwrap does not work here ({failure})"
    if mode == "sandbox":
        raise UsageError(f"the build sandbox is not available: {why}", "install bubblewrap and allow user namespaces, or build on the host")
    if notice:
        notice(f"{why}; build commands run on the host")
    return host()


def private_dir(path: Path) -> Path:
    """`path` as a directory only this user can write to; a fresh temp directory if it is not.

    A fixed name under /tmp could be made first by another user, who could then plant
    a truststore there that every JVM of the build would trust.
    """
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = path.lstat()
        if stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid() and not info.st_mode & 0o022:
            return path
    except OSError:
        pass
    return Path(tempfile.mkdtemp(prefix="dockless-"))


def probe_bwrap(bwrap: str = "bwrap") -> str | None:
    """None when bwrap can make the namespaces the sandbox needs, over the host's own root; else why not."""
    argv = [bwrap, "--unshare-user", "--uid", "1000", "--gid", "1000", "--unshare-pid", "--ro-bind", "/", "/",
            "--proc", "/proc", "--dev", "/dev", "true"]  # fmt: skip
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return str(exc)
    if proc.returncode != 0:
        return (proc.stderr.strip().splitlines() or [f"exit {proc.returncode}"])[-1]
    return None
