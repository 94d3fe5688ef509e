"""EXPORT: the run image + the group's launch layers + the app → a new image.

Layer order follows how often things change: run image, runtime,
dependencies, the SBOM, then the app, so a code-only change rebuilds and
uploads only the last layer. All layers go through the one reproducible tar writer.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterable, Mapping, Sequence
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
from builder.lifecycle.build import GroupResult
from builder.lifecycle.contract import APP_GID, APP_UID, WORKSPACE, BuiltLayer, Component, Process
from builder.lifecycle.env import apply_all, layer_dirs_env
from builder.lifecycle.sbom import SBOM_LABEL, SBOM_PATH, cyclonedx, debian_components

DEFAULT_PORT = "8080"
_TYPE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")  # CNB process types


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


def launch_env(base_env: Iterable[str], group: GroupResult) -> dict[str, str]:
    """The image's Env: the run image's, then each launch layer's bin/, lib/ and env, then each
    buildpack's launch env (CNB env file semantics, see builder.lifecycle.env); PORT defaults to 8080."""
    env = dict(e.split("=", 1) for e in base_env if "=" in e)
    env.setdefault("PATH", "/usr/local/bin:/usr/bin:/bin")
    changes: list[Mapping[str, str]] = []
    for owned in group.launch_layers:
        changes += [layer_dirs_env(owned.layer.path, owned.layer.target), owned.layer.launch_env]
    out = apply_all(env, [*changes, *group.launch_env, {"PATH.append": PROCESS_DIR, "PATH.delim": ":"}])
    out.setdefault("PORT", DEFAULT_PORT)
    return {"PATH": out.pop("PATH"), **dict(sorted(out.items()))}


PROCESS_DIR = "/cnb/process"


def process_entries(processes: Iterable[Process]) -> list[Entry]:
    """`/cnb/process/<type>`: one executable per process, as the CNB lifecycle provides, so a process other
    than the default runs with `docker run --entrypoint <type> IMAGE` (or `command: [<type>]` in Kubernetes).

    Each is a two-line sh script that moves to the working directory and exec's the process with its args,
    then the container's arguments: the process is PID 1, as the default one is.
    """
    entries = []
    for process in processes:
        if not _TYPE.match(process.type):
            continue  # not a safe file name; still listed in io.buildpacks.build.metadata
        argv = shlex.join([*process.command, *process.args])
        script = f'#!/bin/sh\ncd {shlex.quote(process.working_dir)} && exec {argv} "$@"\n'
        entries.append(Entry(f"{PROCESS_DIR.lstrip('/')}/{process.type}", data=script.encode(), mode=0o755))
    return entries


def default_process(processes: Iterable[Process]) -> Process | None:
    procs = list(processes)
    return next((p for p in procs if p.default), next((p for p in procs if p.type == "web"), procs[0] if procs else None))


def export(run_image: Image, group: GroupResult, workspace: Path, *, never_ship: frozenset[str],
           store: BlobStore, epoch: int, created: int, provenance: Provenance,
           codec: Codec = Codec(), memo: LayerMemo | None = None,
           package_layers: Sequence[ExportedLayer] = (),
           package_components: Sequence[Component] = ()) -> tuple[Image, list[ExportedLayer]]:
    """The image: run image, `package_layers` (Debian packages buildpacks asked for at launch), the
    launch layers in group order, the SBOM, /cnb/process/<type> for every process, then the app; and the
    config that starts the default process.

    `epoch` (seconds) is every layer's file time but the app's, whose files get `created` (the source's
    time, also the config's `created`)."""
    exported: list[ExportedLayer] = list(package_layers)
    for owned in group.launch_layers:
        exported.append(ExportedLayer(owned.layer.name, _launch_layer(owned.layer, store, codec, epoch, memo)))
    labels_of_base = (run_image.config.get("config") or {}).get("Labels") or {}
    sbom = cyclonedx([*debian_components(labels_of_base), *package_components, *group.components])
    exported.append(ExportedLayer("sbom", layer_from_entries(
        [Entry(SBOM_PATH, data=sbom, mode=0o644)], store, codec=codec, epoch=epoch)))
    if group.processes:
        exported.append(ExportedLayer("processes", layer_from_entries(
            process_entries(group.processes), store, codec=codec, epoch=epoch)))
    # The app's files carry the source's time (the commit's, or SOURCE_DATE_EPOCH), not the fixed time of the
    # other layers: servers derive Last-Modified and ETags from mtime and size, so a file changed in a new
    # commit must not keep the old validators (a same-size edit would be answered 304 from a stale cache).
    # Still reproducible: the same commit gives the same time. Other layers keep `epoch`, so they are reused.
    exported.append(ExportedLayer("app", layer_from_dir(
        workspace, store, prefix=WORKSPACE, uid=APP_UID, gid=APP_GID, exclude=frozenset(group.app_excludes),
        exclude_names=never_ship, codec=codec, epoch=created)))
    image = append_layers(run_image, [e.layer for e in exported],
                          created_by=f"dockless buildpacks {' '.join(group.buildpacks)}",
                          comments=[e.name for e in exported], created=created)
    process = default_process(group.processes)
    labels: dict[str, str] = {
        SBOM_LABEL: f"/{SBOM_PATH}",
        "io.buildpacks.build.metadata": json.dumps({
            "buildpacks": [{"id": bp} for bp in group.buildpacks],
            "processes": [{"type": p.type, "command": list(p.command), "args": list(p.args), "default": p.default}
                          for p in group.processes],
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
        cmd=list(process.args) if process else [],
        env=launch_env(base_env, group),
        labels=labels,
        exposed_ports=[f"{DEFAULT_PORT}/tcp"],
        created=created,
    )
    return with_config(image, change), exported


def layer_names(exported: Iterable[ExportedLayer]) -> Mapping[str, str]:
    return {e.name: str(e.layer.digest) for e in exported}
