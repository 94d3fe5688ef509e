"""`dockless inspect REF [--json]`: what an image is, without pulling its layers."""

from __future__ import annotations

import json
from typing import Any

import click

from builder.cli.common import common_options, make_context
from builder.cli.output import result
from builder.image.image import Image
from builder.image.index import Node, describe_index
from builder.image.media import choose_platform, require_platform
from builder.reference import parse_reference
from builder.transport import holds_indexes, read_image, read_tree


def describe(image: Image) -> dict[str, Any]:
    c = image.config.get("config") or {}
    return {
        "digest": str(image.digest),
        "mediaType": image.media_type,
        "platform": str(image.platform),
        "created": image.config.get("created"),
        "config": {"digest": str(image.config_descriptor.digest), "mediaType": image.config_descriptor.media_type},
        "layers": [
            {"digest": str(layer.digest), "diffID": str(layer.diff_id), "size": layer.size, "mediaType": layer.media_type}
            for layer in image.layers
        ],
        "user": c.get("User", ""),
        "env": c.get("Env") or [],
        "entrypoint": c.get("Entrypoint"),
        "cmd": c.get("Cmd"),
        "workdir": c.get("WorkingDir", ""),
        "exposedPorts": sorted((c.get("ExposedPorts") or {}).keys()),
        "labels": c.get("Labels") or {},
    }


def _human(d: dict[str, Any]) -> str:
    size = sum(layer["size"] for layer in d["layers"])
    lines = [
        f"Digest:       {d['digest']}",
        f"Media type:   {d['mediaType']}",
        f"Platform:     {d['platform']}",
        f"Created:      {d['created']}",
        f"User:         {d['user'] or '(root)'}",
        f"Workdir:      {d['workdir']}",
        f"Entrypoint:   {json.dumps(d['entrypoint'])}",
        f"Cmd:          {json.dumps(d['cmd'])}",
        f"Exposed:      {', '.join(d['exposedPorts'])}",
        "Env:",
        *[f"  {e}" for e in d["env"]],
        "Labels:",
        *[f"  {k}={v}" for k, v in sorted(d["labels"].items())],
        f"Layers ({len(d['layers'])}, {size / 1e6:.1f} MB compressed):",
        *[f"  {layer['digest']}  {layer['size']:>12,}" for layer in d["layers"]],
    ]
    return "\n".join(lines)


def describe_tree(tree: Node) -> dict[str, Any]:
    """An index: its digest, media type, the index JSON itself, and per entry its platform and manifest digest."""
    return {**describe_index(tree), "index": json.loads(tree.data)}


def _human_index(d: dict[str, Any]) -> str:
    lines = [
        f"Digest:       {d['digest']}",
        f"Media type:   {d['mediaType']}",
        f"Platforms ({len(d['manifests'])}):",
        *[f"  {m['platform'] or '(none)':<16} {m['digest']}  {m['mediaType']}" for m in d["manifests"]],
        "Inspect one with --platform OS/ARCH.",
    ]
    return "\n".join(lines)


@click.command("inspect")
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@common_options(platform_default=None,
                platform_help="Show this OS/ARCH[/VARIANT] image of an index instead of the index itself.")
def inspect_cmd(ref: str, as_json: bool, verbose: bool, cache_dir: str | None, insecure: tuple[str, ...],
                platform: str | None) -> None:
    """Show an image's digest, platform, layers and config; works on all four reference forms.

    For an index (a multi-platform image) it shows the index: its digest and
    each platform's manifest digest; --platform shows one of those images.
    """
    ctx, _ = make_context(verbose, cache_dir, insecure, platform)
    source = parse_reference(ref)
    tree = read_tree(source, ctx) if holds_indexes(source) else None
    if tree is not None and tree.is_index and platform is None:
        t = describe_tree(tree)
        result(json.dumps(t, indent=2) if as_json else _human_index(t))
        return
    image = read_image(source, ctx)
    d = describe(image)
    if tree is not None and tree.is_index:
        # The platform as the index entry says it (linux/arm64), not as the config spells it (linux/arm64/v8).
        entry = choose_platform(json.loads(tree.data), ctx.platform, str(source))
        d["platform"] = str(entry.platform)
    elif platform is not None:
        require_platform(image.platform, ctx.platform, str(source))  # as an index without it would: exit 12
    result(json.dumps(d, indent=2) if as_json else _human(d))
