"""Scripts written at a host path that must run at their layer's path in the image.

Where there are no namespaces (a Tekton step, a CI container) build commands
run on the host and the executor translates `/layers/<bp>/<layer>` to a host
directory (builder/sandbox/host.py). Installers then write that host path into
what they generate: pip's console scripts start with `#!/tmp/…/venv/bin/python`.
The image has the layer at its sandbox path, so those scripts would not start.
`relocate_scripts` puts the sandbox path back, and the hashes pip recorded for
them in `*.dist-info/RECORD` (PEP 376, PEP 627) with it, so a layer built on the
host is the one the sandbox builds. In the sandbox the paths already agree and
nothing changes.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
from pathlib import Path


def relocate_scripts(layer: Path, target: str) -> list[Path]:
    """Rewrite `#!<layer>/…` to `#!<target>/…` in the files of `layer`/bin; returns the files changed.

    `layer` is the layer's directory as the build wrote it (a host path),
    `target` its path in the image (`/layers/python/venv`). Files whose first
    line does not name `layer` are left alone, as is everything outside bin/.
    """
    bin_dir = layer / "bin"
    prefix = b"#!" + str(layer).encode()
    changed: list[Path] = []
    if not bin_dir.is_dir() or str(layer) == target:
        return changed
    for script in sorted(bin_dir.iterdir()):
        if script.is_symlink() or not script.is_file():
            continue
        data = script.read_bytes()
        if data.startswith(prefix) and data[len(prefix):len(prefix) + 1] in (b"/", b" ", b"\n"):
            script.write_bytes(b"#!" + target.encode() + data[len(prefix):])
            changed.append(script)
    if changed:
        _update_records(layer, set(changed))
    return changed


def _update_records(layer: Path, changed: set[Path]) -> None:
    """New sha256 and size for the changed files in every RECORD under `layer` that lists them."""
    for record in sorted(layer.rglob("*.dist-info/RECORD")):
        base = record.parent.parent  # RECORD paths are relative to the directory holding the .dist-info
        rows = list(csv.reader(io.StringIO(record.read_text(encoding="utf-8"))))
        touched = False
        for row in rows:
            if len(row) >= 3 and (base / row[0]).resolve() in {c.resolve() for c in changed}:
                data = (base / row[0]).read_bytes()
                digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
                row[1], row[2] = f"sha256={digest}", str(len(data))
                touched = True
        if touched:
            out = io.StringIO()
            csv.writer(out, lineterminator="\n").writerows(rows)
            record.write_text(out.getvalue(), encoding="utf-8")
