"""Helpers every buildpack needs, language-neutral: the small SDK under `buildpacks/*`.

    download   verified, content-addressed downloads; JSON metadata with a TTL
               disk cache that falls back to a stale copy when offline
    procfile   Heroku's Procfile: `type: command` lines
    launch     start-command text -> process argv that keeps the app as PID 1
               and passes `docker run IMAGE ARGS…` on to it
    layers     the restore / create + fill / commit pattern of cached layers

Buildpacks import these and `builder.lifecycle.contract`; nothing here knows a
language.
"""

from __future__ import annotations

from .download import Downloader, Expected, LazyClient
from .launch import SHELL, command_argv, make_processes
from .layers import cached_layer, cached_layers, new_layer
from .procfile import parse_procfile, read_procfile

__all__ = [
    "SHELL",
    "Downloader",
    "Expected",
    "LazyClient",
    "cached_layer",
    "cached_layers",
    "command_argv",
    "make_processes",
    "new_layer",
    "parse_procfile",
    "read_procfile",
]
