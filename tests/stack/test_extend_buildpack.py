"""A buildpack asks for a Debian package at build and launch: it runs in the sandbox, and ships in the image.

Everything is the production path but detection: `build_group` with the real
services (`default_services`: the session's build root, `extend_build_root`,
`select_executor`, `launch_package_layer`), `check_launch`, `export`, and an
`oci:` directory written and read back.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import tarfile
from pathlib import Path


from builder.context import Context
from builder.image.blobs import BlobStore
from builder.image.tarball import DEFAULT_EPOCH
from builder.lifecycle.build import build_group
from builder.lifecycle.contract import (
    BuildContext,
    BuildpackPlan,
    BuildResult,
    DetectContext,
    Detection,
    Executor,
    Process,
)
from builder.lifecycle.detect import Selected
from builder.lifecycle.export import ExportedLayer, Provenance, export
from builder.lifecycle.launchcheck import check_launch
from builder.lifecycle.layercache import DirLayerCache
from builder.lifecycle.packages import PackageRequests
from builder.lifecycle.services import default_services
from builder.reference import LayoutRef
from builder.sandbox import BwrapExecutor
from builder.transport import write_image

STATUS = "var/lib/dpkg/status"


class JqBuildpack:
    """Needs jq to build (it runs it) and to run (its web process is jq)."""

    id = "test-jq"

    def __init__(self) -> None:
        self.seen: list[str] = []

    def detect(self, ctx: DetectContext) -> Detection:
        return Detection(self.id, True, ("always",))

    def build(self, ctx: BuildContext) -> BuildResult:
        assert ctx.packages is not None
        ctx.packages.add(["jq"], build=True, launch=True)
        run = ctx.executor.run(["sh", "-c", "jq --version; id -u; cat /proc/sys/kernel/hostname; command -v jq"],
                               what="jq --version")  # fmt: skip
        self.seen = run.stdout.splitlines()
        return BuildResult(processes=[Process("web", ["jq", "--version"], default=True)])


def test_a_buildpack_gets_jq_in_the_sandbox_and_ships_it_in_a_packages_layer(build_root: Path, tmp_path: Path) -> None:
    base_status = build_root / STATUS
    before = (hashlib.sha256(base_status.read_bytes()).hexdigest(), base_status.stat().st_ino)
    # the session's stack cache is also the blob store, as in production (cache_root = ctx.store.root)
    ctx = Context(store=BlobStore(build_root.parents[3]))
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    lines: list[str] = []
    buildpack = JqBuildpack()
    with default_services(ctx, log=lines.append, environ={"PATH": os.environ["PATH"]}) as services:
        packages = PackageRequests()
        executors: dict[tuple[str, ...], Executor] = {}

        def current() -> Executor:  # as pipeline.build: one executor per set of build packages
            if packages.build not in executors:
                executors[packages.build] = services.make_executor(workspace, packages.build, packages.suite)
            return executors[packages.build]

        selected = Selected(buildpack, buildpack.detect(DetectContext(workspace, {})), BuildpackPlan())
        result = build_group([selected], workspace=workspace, layers_root=tmp_path / "layers", env={},
                             executor=current, cache=DirLayerCache(tmp_path / "layer-cache"),
                             download_dir=tmp_path / "downloads", log=lines.append, packages=packages)  # fmt: skip
        run_image = services.run_image(packages.suite)
        assert services.package_layer is not None
        layer, debs = services.package_layer(run_image, packages.launch, packages.suite)
        assert debs["jq"] and "libjq1" in debs and "libc6" not in debs  # what the layer adds, for the SBOM
    check_launch(result, workspace, run_image, extra_layers=[layer])  # jq resolves on the image's launch PATH
    image, exported = export(run_image, result, workspace, never_ship=frozenset(), store=ctx.store,
                             epoch=DEFAULT_EPOCH, created=DEFAULT_EPOCH, provenance=Provenance(),
                             package_layers=[ExportedLayer("packages", layer)])  # fmt: skip
    write_image(image, LayoutRef(str(tmp_path / "oci"), "latest"), ctx)

    assert buildpack.seen == ["jq-1.7", "1000", "dockless", "/usr/bin/jq"]  # uid 1000, hostname: the sandbox
    [executor] = executors.values()
    assert list(executors) == [("jq",)] and isinstance(executor, BwrapExecutor)
    assert executor.rootfs != build_root and (executor.rootfs / "usr/bin/jq").is_file()
    assert not (build_root / "usr/bin/jq").exists()
    assert (hashlib.sha256(base_status.read_bytes()).hexdigest(), base_status.stat().st_ino) == before

    assert [e.name for e in exported][0] == "packages"
    members = layer_members(tmp_path / "oci", exported[0].layer.digest.hex)
    assert "usr/bin/jq" in members and "usr/lib/x86_64-linux-gnu/libjq.so.1" in members
    assert "var/lib/dpkg/status.d/jq" in members and "usr/lib/x86_64-linux-gnu/libc.so.6" not in members
    assert any(line == "launch packages: jq" for line in lines)


def layer_members(layout: Path, hex_digest: str) -> set[str]:
    """The paths in one layer of the image `latest` of an OCI layout, read from the layout's own files."""
    [entry] = json.loads((layout / "index.json").read_text())["manifests"]
    manifest = json.loads((layout / "blobs" / "sha256" / entry["digest"].split(":")[1]).read_text())
    assert f"sha256:{hex_digest}" in [layer["digest"] for layer in manifest["layers"]]
    data = gzip.decompress((layout / "blobs" / "sha256" / hex_digest).read_bytes())
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        return {member.name.rstrip("/") for member in tar.getmembers()}
