"""The registry medium: read an image from, and write it to, a distribution-spec registry.

    read_registry(ref, ctx)          -> Image           (lazy, verified layer streams)
    write_registry(image, ref, ctx)  -> RegistryRef     (pinned REPO@sha256:…)
    read_registry_tree(ref, ctx)     -> Node            (an index with every manifest below it)
    write_registry_tree(tree, ref, ctx) -> PushResult   (the index and all of it, digest kept)

This is the package's edge: here, and only here, the environment is consulted
(DOCKER_CONFIG, HOME, SSL_CERT_FILE, PATH for credential helpers) — the
snapshot in `ctx.environ` the CLI took — unless the caller passes
`RegistryOptions` itself. Modules, one job each:

    keychain   credentials from a docker config.json / credential helpers
    challenge  WWW-Authenticate parsing
    auth       the httpx Auth flow: Basic, Bearer tokens, scopes, token cache
    retry      the retry policy (pure) and the one retry loop
    responses  error responses → typed dockless errors
    client     one registry host: httpx.Client, retries, errors
    connect    scheme (HTTP for loopback/insecure), trust and scopes for a ref
    repository the distribution-spec endpoints of one repository
    blobreader a verifying, resuming blob download stream
    upload     one blob: HEAD, mount, or POST + streamed PATCH + PUT
    pull, push the image-level flows
"""

from __future__ import annotations

import os
from dataclasses import replace

from builder.context import NOTICE, Context
from builder.image.image import Image
from builder.reference import RegistryRef
from builder.registry.connect import connect
from builder.registry.keychain import ANONYMOUS, Credential, Keychain
from builder.registry.options import RegistryOptions
from builder.image.index import Node
from builder.registry.pull import pull_image, pull_tree
from builder.registry.push import BlobResult, PushResult, push_image, push_tree
from builder.registry.retry import RetryPolicy

__all__ = [
    "ANONYMOUS",
    "BlobResult",
    "Credential",
    "Keychain",
    "PushResult",
    "RegistryOptions",
    "RetryPolicy",
    "push_to_registry",
    "read_registry",
    "read_registry_tree",
    "write_registry",
    "write_registry_tree",
]


def _options(ctx: Context, options: RegistryOptions | None) -> RegistryOptions:
    """`options`, or the environment's, whose retries are each told as a notice through `ctx.progress`."""
    if options is not None:
        return options
    opts = RegistryOptions.from_env(ctx.environ if ctx.environ is not None else os.environ, ctx.docker_config)
    return replace(opts, retry=replace(opts.retry, notify=lambda line: ctx.progress(line, 0, NOTICE)))


def read_registry(ref: RegistryRef, ctx: Context, options: RegistryOptions | None = None) -> Image:
    """The image `ref` names (for an index, the `ctx.platform` entry), with lazy layers."""
    opts = _options(ctx, options)
    repo = connect(ref, opts, ctx.insecure_registries)
    return pull_image(repo, ref, ctx.platform, ctx.store)


def push_to_registry(image: Image, ref: RegistryRef, ctx: Context,
                     options: RegistryOptions | None = None) -> PushResult:
    """Push `image` to `ref` and say how each blob got there (exists, mounted, uploaded)."""
    opts = _options(ctx, options)
    mount_from = {layer.origin.repository for layer in image.layers
                  if layer.origin is not None and layer.origin.registry == ref.registry}
    repo = connect(ref, opts, ctx.insecure_registries, push=True, mount_from=mount_from)
    try:
        return push_image(repo, image, ref, ctx.progress, parallel=opts.parallel_uploads,
                          chunk_size=opts.chunk_size)
    finally:
        repo.client.close()


def read_registry_tree(ref: RegistryRef, ctx: Context, options: RegistryOptions | None = None) -> Node:
    """The manifest `ref` names and, for an index, every manifest below it (blobs lazy)."""
    opts = _options(ctx, options)
    repo = connect(ref, opts, ctx.insecure_registries)
    return pull_tree(repo, ref, ctx.store)


def write_registry_tree(tree: Node, ref: RegistryRef, ctx: Context,
                        options: RegistryOptions | None = None) -> PushResult:
    """Push an index and everything below it to `ref`, keeping its digest."""
    opts = _options(ctx, options)
    mount_from = {b.origin.repository for b in tree.all_blobs()
                  if b.origin is not None and b.origin.registry == ref.registry}
    repo = connect(ref, opts, ctx.insecure_registries, push=True, mount_from=mount_from)
    try:
        return push_tree(repo, tree, ref, ctx.progress, parallel=opts.parallel_uploads, chunk_size=opts.chunk_size)
    finally:
        repo.client.close()


def check_push_access(ref: RegistryRef, ctx: Context, options: RegistryOptions | None = None) -> None:
    """Raise the push's own error (auth 9, unreachable 10, …) now, if pushing to `ref` would fail at the start."""
    repo = connect(ref, _options(ctx, options), ctx.insecure_registries, push=True)
    try:
        repo.check_push()
    finally:
        repo.client.close()


def write_registry(image: Image, ref: RegistryRef, ctx: Context, options: RegistryOptions | None = None) -> RegistryRef:
    """Push `image` to `ref`; returns the reference pinned by the manifest digest."""
    return push_to_registry(image, ref, ctx, options).ref
