"""Flags that say which source to build: shared by `build` and `detect`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from builder.errors import UsageError

F = TypeVar("F", bound=Callable[..., Any])


def source_options(fn: F) -> F:
    fn = click.option("--env", "env", multiple=True, metavar="K=V",
                      help="Build-time environment variable (repeatable), e.g. BP_NODE_VERSION=20.")(fn)
    fn = click.option("--subdir", metavar="PATH", help="Build this sub-directory of the source.")(fn)
    fn = click.option("--revision", metavar="REV", help="Branch, tag, or full/short commit sha to build.")(fn)
    fn = click.argument("source", default=".", required=False)(fn)
    return fn


def parse_env(pairs: tuple[str, ...]) -> dict[str, str]:
    env: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:  # no value to hide: quote what was typed
            raise UsageError(f"--env '{pair}' is not of the form KEY=VALUE", "e.g. --env BP_NODE_VERSION=20")
        if not key or not key.replace("_", "a").isalnum():  # the value may be a secret: never echo it
            raise UsageError(f"--env '{key}=…' is not of the form KEY=VALUE", "e.g. --env BP_NODE_VERSION=20")
        env[key] = value
    return env
