"""The Procfile detector: an app that says how it starts, and that no language buildpack took.

The group (procfile) comes last in the order, so it only sees apps that no
language buildpack detected: shell scripts, busybox tools, a prebuilt binary.
It passes on a Procfile with a `web` process (Heroku's Procfile rules, see
`builder.buildpack.procfile`) and requires `procfile` with (all strings):

    processes   the process types, comma-separated, in file order ("web,worker")
    web         the web command as written

A Procfile without `web` fails: a container platform routes requests to the
default process, and an image whose default process serves nothing is not
what `dockless build` should produce for an app with no language detected.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from builder.buildpack.procfile import read_procfile_text, unparsed_lines
from builder.lifecycle.contract import Detection, Require

from ._files import read_procfile


@dataclass(frozen=True)
class ProcfileDetector:
    """Passes on a Procfile with a `web` process."""

    id: str = "procfile"

    def detect(self, workspace: Path, env: Mapping[str, str], app_dir: str = "") -> Detection:
        root = workspace / app_dir
        if not (root / "Procfile").is_file():
            return Detection(self.id, False, ("no Procfile at the root",))
        processes = read_procfile(root)
        if "web" not in processes:
            listed = f" (it lists {', '.join(processes)})" if processes else " (it lists no process)"
            bad = unparsed_lines(read_procfile_text(root))
            if bad:
                number, line = bad[0]
                listed += f"; line {number} '{line[:40]}' is not 'type: command'"
            return Detection(self.id, False, (f"the Procfile has no web process{listed}: add a 'web: <command>' "
                                              "line",))
        meta = {"processes": ",".join(processes), "web": processes["web"]}
        return Detection(self.id, True, (f"found a Procfile: web runs '{processes['web']}'",),
                         provides=("procfile",), requires=(Require("procfile", meta),))
