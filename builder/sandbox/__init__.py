"""Where build commands run: the bubblewrap sandbox in the stack's build root, or the host.

    executor = select_executor(lambda: default_build_root(cache, archive), workspace, env=os.environ,
                               log=out.debug, notice=out.log)
    executor.run(["npm", "ci"], what="npm ci", env={"PATH": "/layers/nodejs/node/bin"},  # in front of the base
                 mounts=[Mount(node_dir, "/layers/nodejs/node", writable=False)])

Both executors implement `builder.lifecycle.contract.Executor`, so buildpacks never
know which one they got.
"""

from __future__ import annotations

from .bwrap import HOME, PATH, BwrapExecutor
from .host import HostExecutor, translator
from .process import run_streaming
from .select import Mode, probe_bwrap, select_executor
from .trust import CA_VARIABLES, DEBIAN_BUNDLE, PROXY_VARIABLES, HostTrust

__all__ = [
    "CA_VARIABLES",
    "DEBIAN_BUNDLE",
    "HOME",
    "PATH",
    "PROXY_VARIABLES",
    "BwrapExecutor",
    "HostExecutor",
    "HostTrust",
    "Mode",
    "probe_bwrap",
    "run_streaming",
    "select_executor",
    "translator",
]
