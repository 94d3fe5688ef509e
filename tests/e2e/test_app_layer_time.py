"""The app layer's files carry the commit's time (servers' Last-Modified and ETags change with the code);
every other layer keeps the fixed CNB time, so it is reused across commits. Same commit → same digest."""

from __future__ import annotations

import gzip
import io
import json
import os
import subprocess
import tarfile
from pathlib import Path

from builder.image.tarball import DEFAULT_EPOCH
from tests.e2e.cli import dockless

COMMIT_TIME = 1767323045  # 2026-01-02T03:04:05Z


def layers_of(layout: Path) -> list[tuple[str, dict[str, int]]]:
    """(comment, {path: mtime}) for each layer the build added, read from the OCI layout."""
    def blob(digest: str) -> bytes:
        return (layout / "blobs" / "sha256" / digest.split(":", 1)[1]).read_bytes()

    manifest = json.loads(blob(json.loads((layout / "index.json").read_text())["manifests"][0]["digest"]))
    config = json.loads(blob(manifest["config"]["digest"]))
    comments = [h.get("comment", "") for h in config["history"] if not h.get("empty_layer")]
    result = []
    for comment, layer in zip(comments, manifest["layers"]):
        with tarfile.open(fileobj=io.BytesIO(gzip.decompress(blob(layer["digest"])))) as tar:
            result.append((comment, {m.name: int(m.mtime) for m in tar.getmembers()}))
    return result


def test_app_files_have_the_commit_time_and_other_layers_the_fixed_time(tmp_path: Path) -> None:
    source = tmp_path / "app"
    source.mkdir()
    (source / "Procfile").write_text("web: exec sh ./serve.sh\n")
    (source / "serve.sh").write_text("while true; do sleep 1; done\n")
    env = {**os.environ, "GIT_AUTHOR_DATE": "2026-01-02T03:04:05Z", "GIT_COMMITTER_DATE": "2026-01-02T03:04:05Z"}
    for argv in (["init", "-q"], ["add", "."], ["-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qm", "one"]):
        subprocess.run(["git", *argv], cwd=source, env=env, check=True)
    digests = []
    for out in ("one", "two"):
        run = dockless("build", str(source), "--image", f"oci:{tmp_path / out}", cache_dir=tmp_path / "cache")
        assert run.code == 0, run.stderr
        digests.append(run.last_line.rsplit("@", 1)[1])
    assert digests[0] == digests[1]
    layers = dict(layers_of(tmp_path / "one"))
    assert set(layers["app"].values()) == {COMMIT_TIME}
    assert "workspace/serve.sh" in layers["app"]
    assert set(layers["processes"].values()) == {DEFAULT_EPOCH}
