"""The fallback executor: build commands run directly on the host, with sandbox paths translated.

Buildpacks speak in sandbox paths (`/workspace`, `/layers/nodejs/node/bin` in PATH).
Here there is no mount namespace, so every such path — in the argv, the working
directory and the environment values — is rewritten to the host directory it stands
for. A path counts when it starts a word, or follows `=`, `:` or a quote, so PATH
lists and `--prefix=/layers/...` options are translated too. The environment is still
cleared; PATH keeps the host's system directories after whatever the caller gives.
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
    ) -> None:
        self.workspace = workspace
        self.trust = trust
        self.host_path = host_path
        self.log = log
        self.home = home

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
            full = {"PATH": self.host_path, "HOME": str(home), "LANG": "C.UTF-8"}
            if self.trust.ca_bundle:
                full.update(self.trust.env(str(self.trust.ca_bundle)))
            full.update({name: translate(value) for name, value in (env or {}).items()})
            if env and "PATH" in env:
                full["PATH"] = f"{full['PATH']}:{self.host_path}"
            return run_streaming([translate(arg) for arg in argv], what=what, cwd=translate(cwd), env=full, log=self.log)
        finally:
            if self.home is None:
                shutil.rmtree(home, ignore_errors=True)


def translator(mapping: Mapping[str, Path]) -> Callable[[str], str]:
    """A function that rewrites sandbox paths in a string to the host paths in `mapping`."""
    targets = sorted((t.rstrip("/") for t in mapping), key=len, reverse=True)
    if not targets:
        return lambda text: text
    hosts = {t.rstrip("/"): str(h) for t, h in mapping.items()}
    pattern = re.compile(r"(?:(?<=^)|(?<=[=:\s'\"]))(" + "|".join(map(re.escape, targets)) + r")(?=/|$|[:\s'\"])")
    return lambda text: pattern.sub(lambda m: hosts[m.group(1)], text)
