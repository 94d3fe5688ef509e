"""EXPORT: the run image + the buildpack's launch layers + the app → a new image.

Layer order follows how often things change: run image, runtime,
dependencies, the SBOM, then the app, so a code-only change rebuilds and
uploads only the last layer. All layers go through the one reproducible tar writer.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol
from pathlib import Path

from builder.image.blobs import BlobStore
from builder.image.compress import Codec
from builder.image.image import Image
from builder.image.digest import Digest
from builder.image.layer import Layer, layer_from_blob, layer_from_dir, layer_from_entries
from builder.image.media import OCI_LAYER_GZIP, Descriptor
from builder.image.mutate import ConfigChange, append_layers, with_config
from builder.image.tarball import Entry
from builder.lifecycle.contract import APP_GID, APP_UID, WORKSPACE, BuildResult, BuiltLayer, Process
from builder.lifecycle.sbom import SBOM_LABEL, SBOM_PATH, cyclonedx, debian_components

DEFAULT_PORT = "8080"


@dataclass(frozen=True)
class Provenance:
    """Where the source came from, for OCI labels."""

    url: str | None = None
    commit: str | None = None


class LayerMemo(Protocol):
    """Remembers facts about immutable layer directories (see DirLayerCache.recall/remember)."""

    def recall(self, path: Path, key: str) -> dict[str, str] | None: ...

    def remember(self, path: Path, key: str, data: dict[str, str]) -> None: ...


def _launch_layer(built: BuiltLayer, store: BlobStore, codec: Codec, epoch: int, memo: LayerMemo | None) -> Layer:
    """The image layer for a buildpack layer; for an unchanged cached directory, straight from the memo."""
    key = f"{built.target}|0:0|{epoch}|{codec.key}"
    known = memo.recall(built.path, key) if memo else None
    if known:
        digest = Digest.parse(known["digest"])
        if store.has(digest):
            return layer_from_blob(store, Descriptor(OCI_LAYER_GZIP, digest, int(known["size"])),
                                   Digest.parse(known["diff_id"]))
    layer = layer_from_dir(built.path, store, prefix=built.target, uid=0, gid=0, codec=codec, epoch=epoch)
    if memo:
        memo.remember(built.path, key, {"digest": str(layer.digest), "size": str(layer.size),
                                        "diff_id": str(layer.diff_id)})
    return layer


@dataclass(frozen=True)
class ExportedLayer:
    name: str
    layer: Layer


def _prepend(path: list[str], value: str) -> list[str]:
    front = [p for p in value.split(":") if p]
    return front + [p for p in path if p not in front]


def launch_env(base_env: Iterable[str], result: BuildResult) -> dict[str, str]:
    """Merge launch env: PATH entries go in front of the run image's PATH (no duplicates), others are set."""
    env = dict(e.split("=", 1) for e in base_env if "=" in e)
    path = [p for p in env.get("PATH", "/usr/local/bin:/usr/bin:/bin").split(":") if p]
    out: dict[str, str] = {}
    for values in [layer.launch_env for layer in result.layers] + [result.launch_env]:
        for k, v in values.items():
            if k == "PATH":
                path = _prepend(path, v)
            else:
                out[k] = v
    out.setdefault("PORT", DEFAULT_PORT)
    return {"PATH": ":".join(path), **out}


def default_process(processes: Iterable[Process]) -> Process | None:
    procs = list(processes)
    return next((p for p in procs if p.default), next((p for p in procs if p.type == "web"), procs[0] if procs else None))


def export(run_image: Image, result: BuildResult, workspace: Path, *, never_ship: frozenset[str],
           store: BlobStore, epoch: int, created: int, provenance: Provenance, buildpack: str,
           codec: Codec = Codec(), memo: LayerMemo | None = None) -> tuple[Image, list[ExportedLayer]]:
    exported: list[ExportedLayer] = []
    for built in result.layers:
        if built.launch:
            exported.append(ExportedLayer(built.name, _launch_layer(built, store, codec, epoch, memo)))
    labels_of_base = (run_image.config.get("config") or {}).get("Labels") or {}
    sbom = cyclonedx([*debian_components(labels_of_base), *result.components])
    exported.append(ExportedLayer("sbom", layer_from_entries(
        [Entry(SBOM_PATH, data=sbom, mode=0o644)], store, codec=codec, epoch=epoch)))
    exported.append(ExportedLayer("app", layer_from_dir(
        workspace, store, prefix=WORKSPACE, uid=APP_UID, gid=APP_GID, exclude=frozenset(result.app_excludes),
        exclude_names=never_ship, codec=codec, epoch=epoch)))
    image = append_layers(run_image, [e.layer for e in exported], created_by=f"dockless buildpack {buildpack}",
                          comments=[e.name for e in exported], created=created)
    process = default_process(result.processes)
    labels: dict[str, str] = {
        SBOM_LABEL: f"/{SBOM_PATH}",
        "io.buildpacks.build.metadata": json.dumps({
            "buildpacks": [{"id": buildpack}],
            "processes": [{"type": p.type, "command": list(p.command), "default": p.default} for p in result.processes],
        }, sort_keys=True, separators=(",", ":")),
    }
    if provenance.url:
        labels["org.opencontainers.image.source"] = provenance.url
    if provenance.commit:
        labels["org.opencontainers.image.revision"] = provenance.commit
    base_env = (run_image.config.get("config") or {}).get("Env") or []
    change = ConfigChange(
        user=f"{APP_UID}:{APP_GID}",
        workdir=process.working_dir if process else WORKSPACE,
        entrypoint=list(process.command) if process else None,
        cmd=[],
        env=launch_env(base_env, result),
        labels=labels,
        exposed_ports=[f"{DEFAULT_PORT}/tcp"],
        created=created,
    )
    return with_config(image, change), exported


def layer_names(exported: Iterable[ExportedLayer]) -> Mapping[str, str]:
    return {e.name: str(e.layer.digest) for e in exported}
