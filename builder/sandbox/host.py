"""The fallback executor: build commands run directly on the host, with sandbox paths translated.

Buildpacks speak in sandbox paths (`/workspace`, `/layers/nodejs/node/bin` in PATH).
Here there is no mount namespace, so every such path — in the argv, the working
directory and the environment values — is rewritten to the host directory it stands
for. A path counts when it starts a word, or follows `=`, `:` or a quote, so PATH
lists and `--prefix=/layers/...` options are translated too. The environment is still
cleared, then given the same base as in the sandbox (HOME, LANG, the host's CA bundle
in every variable tools read it from, a Java truststore, the proxy variables); PATH
keeps the host's system directories after whatever the caller gives.

Debian packages a buildpack asked for at build (`packages_root`, a directory made by
`builder.stack.extend.extend_build_root(..., None, ...)`) come first on the base PATH
and LD_LIBRARY_PATH. That is best effort: the packages are built for the stack's
Debian, and the host's libc may be older than they need.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from builder.errors import BuildError
from builder.lifecycle.contract import WORKSPACE, Mount

from .process import run_streaming
from .trust import HostTrust


class HostExecutor:
    """Runs build commands on the host (implements lifecycle's Executor)."""

    def __init__(
        self,
        workspace: Path,
        *,
        trust: HostTrust = HostTrust(),
        host_path: str = "/usr/local/bin:/usr/bin:/bin",
        log: Callable[[str], None] | None = None,
        home: Path | None = None,
        java_truststore: Path | None = None,
        packages_root: Path | None = None,
    ) -> None:
        self.workspace = workspace
        self.java_truststore = java_truststore
        self.trust = trust
        self.host_path = host_path
        self.log = log
        self.home = home
        self.packages_root = packages_root
        self.base_path = ":".join([*package_dirs(packages_root, PACKAGE_BIN), host_path])
        self.base_libs = ":".join(package_dirs(packages_root, PACKAGE_LIB))

    def run(
        self, argv: Sequence[str], *, what: str, cwd: str = WORKSPACE, env: Mapping[str, str] | None = None,
        mounts: Sequence[Mount] = (),
    ) -> subprocess.CompletedProcess[str]:  # fmt: skip
        for mount in mounts:
            if not mount.host.exists():
                raise BuildError(f"cannot use {mount.host} as {mount.target}: it does not exist", "this is a bug in the buildpack")
        translate = translator({WORKSPACE: self.workspace, **{m.target: m.host for m in mounts}})
        home = self.home or Path(tempfile.mkdtemp(prefix="dockless-home-"))
        try:
            full = {"PATH": self.base_path, "HOME": str(home), "LANG": "C.UTF-8"}
            if self.base_libs:
                full["LD_LIBRARY_PATH"] = self.base_libs
            if self.trust.ca_bundle:
                java = str(self.java_truststore) if self.java_truststore else None
                full.update(self.trust.env(str(self.trust.ca_bundle), java))
            given = {name: translate(value) for name, value in (env or {}).items()}
            full.update(given)
            for name, base in (("PATH", self.base_path), ("LD_LIBRARY_PATH", self.base_libs)):
                if given.get(name) and base:  # the caller's directories first, then the base's
                    full[name] = f"{given[name]}:{base}"
                elif name in given and not given[name]:
                    full[name] = base  # an empty entry would mean the working directory
            return run_streaming([translate(arg) for arg in argv], what=what, cwd=translate(cwd), env=full, log=self.log)
        finally:
            if self.home is None:
                shutil.rmtree(home, ignore_errors=True)


PACKAGE_BIN = ("usr/bin", "usr/sbin", "bin")
PACKAGE_LIB = ("usr/lib/*-linux-gnu*", "usr/lib")


def package_dirs(root: Path | None, patterns: Sequence[str]) -> list[str]:
    """The directories of `root` matching `patterns`, in pattern order (none when `root` is None)."""
    if root is None:
        return []
    return [str(path) for pattern in patterns for path in sorted(root.glob(pattern)) if path.is_dir()]


def translator(mapping: Mapping[str, Path]) -> Callable[[str], str]:
    """A function that rewrites sandbox paths in a string to the host paths in `mapping`."""
    targets = sorted((t.rstrip("/") for t in mapping), key=len, reverse=True)
    if not targets:
        return lambda text: text
    hosts = {t.rstrip("/"): str(h) for t, h in mapping.items()}
    pattern = re.compile(r"(?:(?<=^)|(?<=[=:\s'\"]))(" + "|".join(map(re.escape, targets)) + r")(?=/|$|[:\s'\"])")
    return lambda text: pattern.sub(lambda m: hosts[m.group(1)], text)
