"""Pure functions that return a changed copy of an image (never mutate it)."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from builder.image.image import Image, make_image
from builder.image.layer import Layer
from builder.image.media import Platform
from builder.image.tarball import DEFAULT_EPOCH


def rfc3339(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def scratch(platform: Platform = Platform()) -> Image:
    """The empty image ("FROM scratch")."""
    config: dict[str, Any] = {
        "architecture": platform.architecture,
        "os": platform.os,
        "config": {},
        "created": rfc3339(DEFAULT_EPOCH),
        "history": [],
    }
    if platform.variant:
        config["variant"] = platform.variant
    return make_image(config, [])


def append_layers(base: Image, layers: Iterable[Layer], created_by: str = "dockless",
                  comments: Sequence[str] = (), created: int = DEFAULT_EPOCH) -> Image:
    """Base + new layers on top, each with a history entry dated `created`."""
    new = tuple(layers)
    config = copy.deepcopy(base.config)
    history = list(config.get("history") or [])
    for i, _ in enumerate(new):
        entry: dict[str, Any] = {"created": rfc3339(created), "created_by": created_by}
        if i < len(comments) and comments[i]:
            entry["comment"] = comments[i]
        history.append(entry)
    config["history"] = history
    return make_image(config, base.layers + new, base.media_type, base.manifest.get("annotations"))


@dataclass(frozen=True)
class ConfigChange:
    """What a build sets on the run image's container config. None = keep."""

    user: str | None = None
    workdir: str | None = None
    entrypoint: Sequence[str] | None = None
    cmd: Sequence[str] | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)
    exposed_ports: Sequence[str] = ()
    created: int | None = None


def with_config(image: Image, change: ConfigChange) -> Image:
    """Apply a ConfigChange; env entries replace same-named ones, order kept."""
    config = copy.deepcopy(image.config)
    c = config.setdefault("config", {}) or {}
    config["config"] = c
    if change.user is not None:
        c["User"] = change.user
    if change.workdir is not None:
        c["WorkingDir"] = change.workdir
    if change.entrypoint is not None:
        c["Entrypoint"] = list(change.entrypoint)
    if change.cmd is not None:
        c["Cmd"] = list(change.cmd)
    if change.env:
        env = [e for e in (c.get("Env") or []) if e.split("=", 1)[0] not in change.env]
        env += [f"{k}={v}" for k, v in change.env.items()]
        c["Env"] = env
    if change.labels:
        c["Labels"] = {**(c.get("Labels") or {}), **change.labels}
    if change.exposed_ports:
        c["ExposedPorts"] = {**(c.get("ExposedPorts") or {}), **{p: {} for p in change.exposed_ports}}
    if change.created is not None:
        config["created"] = rfc3339(change.created)
    return make_image(config, image.layers, image.media_type, image.manifest.get("annotations"))
