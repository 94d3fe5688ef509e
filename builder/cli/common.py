"""Options shared by several commands, and the Context they build."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar, overload

import click

from builder.cache import cache_root
from builder.cli.output import Output
from builder.image.blobs import BlobStore
from builder.image.index import Node
from builder.image.media import Platform
from builder.context import Context

F = TypeVar("F", bound=Callable[..., Any])


def _options(fn: F, platform_default: str | None, platform_help: str | None = None) -> F:
    fn = click.option("--platform", default=platform_default, show_default=platform_default is not None,
                      metavar="OS/ARCH",
                      help=platform_help or ("OS/ARCH to pick from a multi-platform image"
                                             + ("." if platform_default else " [default: this machine's].")))(fn)
    fn = click.option("--insecure-registry", "insecure", multiple=True, metavar="HOST",
                      help="Use plain HTTP for HOST (loopback registries always do).")(fn)
    fn = click.option("--cache-dir", type=click.Path(file_okay=False),
                      help="Cache directory [default: $DOCKLESS_CACHE_DIR or ~/.cache/dockless].")(fn)
    fn = click.option("-v", "--verbose", is_flag=True, help="Show details and progress.")(fn)
    return fn


@overload
def common_options(fn: F, *, platform_default: str | None = ..., platform_help: str | None = ...) -> F: ...
@overload
def common_options(fn: None = None, *, platform_default: str | None = ...,
                   platform_help: str | None = ...) -> Callable[[F], F]: ...
def common_options(fn: F | None = None, *, platform_default: str | None = "linux/amd64",
                   platform_help: str | None = None) -> F | Callable[[F], F]:
    """--verbose, --cache-dir, --insecure-registry, --platform (as @common_options or @common_options(...))."""
    if fn is not None:
        return _options(fn, platform_default, platform_help)
    return lambda f: _options(f, platform_default, platform_help)


def platforms_of(tree: Node) -> str:
    """"linux/amd64, linux/arm64, linux/arm/v7" for an index's entries (attestations left out)."""
    names = [str(c.descriptor.platform) for c in tree.children
             if c.descriptor.platform is not None and c.descriptor.platform.os != "unknown"]
    return ", ".join(names) or "no platforms"


def make_context(verbose: bool, cache_dir: str | None, insecure: tuple[str, ...],
                 platform: str | None) -> tuple[Context, Output]:
    out = Output(verbose=verbose)
    root = cache_root(cache_dir, os.environ)
    config_dir = os.environ.get("DOCKER_CONFIG")
    ctx = Context(
        store=BlobStore(root),
        platform=Platform.parse(platform) if platform else Platform.host(),
        insecure_registries=frozenset(insecure),
        docker_config=Path(config_dir) if config_dir else None,
        progress=out.progress,
        environ=dict(os.environ),
    )
    return ctx, out
