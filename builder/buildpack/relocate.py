"""Scripts written at a host path that must run at their layer's path in the image.

Where there are no namespaces (a Tekton step, a CI container) build commands
run on the host and the executor translates `/layers/<bp>/<layer>` to a host
directory (builder/sandbox/host.py). Installers then write that host path into
what they generate: pip's console scripts start with `#!/tmp/…/venv/bin/python`.
The image has the layer at its sandbox path, so those scripts would not start
(and a venv's activate scripts and pyvenv.cfg would name a path that is not
there). `relocate_scripts` puts the sandbox path back, and the hashes pip recorded for
them in `*.dist-info/RECORD` (PEP 376, PEP 627) with it, so a layer built on the
host is the one the sandbox builds. In the sandbox the paths already agree and
nothing changes.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import re
from pathlib import Path


def relocate_scripts(layer: Path, target: str) -> list[Path]:
    """Rewrite the host path `layer` to `target` in the text files of `layer` and `layer`/bin; returns the files changed.

    `layer` is the layer's directory as the build wrote it (a host path),
    `target` its path in the image (`/layers/python/venv`). That covers console
    scripts' `#!` lines, a venv's `bin/activate*` (`VIRTUAL_ENV=…`) and its
    `pyvenv.cfg` (`command = … -m venv …`), so the layer's bytes, and the image
    digest, do not depend on where the build ran. Only a whole path is replaced
    (`<layer>-other` is not `<layer>`); binaries (a NUL byte), symlinks and
    everything deeper are left alone.
    """
    changed: list[Path] = []
    if str(layer) == target:
        return changed
    here = re.compile(re.escape(str(layer).encode()) + rb"(?![\w.-])")  # a whole path: not <layer>-other
    for directory in (layer, layer / "bin"):
        if not directory.is_dir():
            continue
        for path in sorted(directory.iterdir()):
            if path.is_symlink() or not path.is_file():
                continue
            data = path.read_bytes()
            if b"\0" in data or not here.search(data):
                continue
            path.write_bytes(here.sub(target.encode(), data))
            changed.append(path)
    if changed:
        _update_records(layer, set(changed))
    return changed


def _update_records(layer: Path, changed: set[Path]) -> None:
    """New sha256 and size for the changed files in every RECORD under `layer` that lists them."""
    for record in sorted(layer.rglob("*.dist-info/RECORD")):
        base = record.parent.parent  # RECORD paths are relative to the directory holding the .dist-info
        text = record.read_bytes().decode("utf-8")
        rows = list(csv.reader(io.StringIO(text, newline="")))
        touched = False
        for row in rows:
            if len(row) >= 3 and (base / row[0]).resolve() in {c.resolve() for c in changed}:
                data = (base / row[0]).read_bytes()
                digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
                row[1], row[2] = f"sha256={digest}", str(len(data))
                touched = True
        if touched:
            out = io.StringIO()
            # pip writes RECORD with csv's default "\r\n"; keep whatever ended its lines
            csv.writer(out, lineterminator="\r\n" if "\r\n" in text else "\n").writerows(rows)
            record.write_bytes(out.getvalue().encode("utf-8"))
