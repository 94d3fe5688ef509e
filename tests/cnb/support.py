"""Write small CNB buildpacks in plain POSIX shell, and the real executors and contexts to run them."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


from builder.lifecycle.cnb import CnbBuildpack
from builder.lifecycle.contract import BuildContext, BuildpackPlan, DetectContext, Executor, Require
from builder.lifecycle.layercache import DirLayerCache
from builder.sandbox import select_executor

PASS_DETECT = "#!/bin/sh\nexit 0\n"
EMPTY_BUILD = "#!/bin/sh\nexit 0\n"


def write_buildpack(root: Path, bp_id: str, *, detect: str = PASS_DETECT, build: str = EMPTY_BUILD,
                    api: str = "0.10", version: str = "0.1.0", extra: str = "") -> Path:
    """A buildpack directory `root` with buildpack.toml and executable bin/detect, bin/build."""
    (root / "bin").mkdir(parents=True, exist_ok=True)
    (root / "buildpack.toml").write_text(
        f'api = "{api}"\n\n[buildpack]\nid = "{bp_id}"\nversion = "{version}"\nname = "Test {bp_id}"\n{extra}')
    for name, text in (("detect", detect), ("build", build)):
        (root / "bin" / name).write_text(text)
        (root / "bin" / name).chmod(0o755)
    return root


def host_executor(workspace: Path, lines: list[str] | None = None) -> Executor:
    """The production host executor (select_executor, mode host), logging output lines to `lines`."""
    return select_executor(None, workspace, env=dict(os.environ), mode="host",
                           log=lines.append if lines is not None else None)


def sandbox_executor(build_root: Path, workspace: Path, lines: list[str] | None = None) -> Executor:
    """The production bubblewrap sandbox over the stack's build root (mode sandbox: no host fallback)."""
    return select_executor(build_root, workspace, env=dict(os.environ), mode="sandbox",
                           log=lines.append if lines is not None else None)


def detect_ctx(workspace: Path, executor: Executor | None, env: dict[str, str] | None = None,
               log: list[str] | None = None) -> DetectContext:
    return DetectContext(workspace, env or {}, executor, log.append if log is not None else (lambda line: None))


def build_ctx(tmp: Path, workspace: Path, executor: Executor, *, bp_id: str, env: dict[str, str] | None = None,
              entries: tuple[Require, ...] = (), log: list[str] | None = None) -> BuildContext:
    """A BuildContext with the real DirLayerCache under `tmp/cache` (kept across calls with the same tmp)."""
    layers = tmp / f"layers-{secrets.token_hex(4)}" / bp_id  # a fresh layers dir per build, as in a real one
    return BuildContext(workspace=workspace, layers_dir=layers, plan=BuildpackPlan(entries), env=env or {},
                        executor=executor, cache=DirLayerCache(tmp / "cache" / "layers"),
                        download_dir=tmp / "cache" / "downloads", log=(log.append if log is not None else print))


def load(root: Path) -> CnbBuildpack:
    return CnbBuildpack.load(root)
