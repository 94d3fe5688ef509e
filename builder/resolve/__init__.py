"""`dockless resolve`: build every `dockless://` reference in Kubernetes YAML and pin it by digest.

The model is `ko resolve` (ko-build/ko: `ko://IMPORTPATH` strings in YAML are
built, pushed under KO_DOCKER_REPO and replaced by `REPO@sha256:…`). Here the
reference names a source dockless can build:

    dockless://PATH                        a directory (relative to the current directory)
    dockless://GIT_URL[#REV][:SUBDIR]      a git repository, at a revision, in a sub-directory

Modules: `refs` (parsing a reference, naming its image), `documents` (finding
and replacing references in round-trip YAML), `resolver` (each distinct
reference built once, then every document rewritten).
"""

from __future__ import annotations

from .documents import Documents, load_documents
from .refs import PREFIX, SourceRef, image_names, parse_ref
from .resolver import BuildFn, resolve_documents

__all__ = ["PREFIX", "BuildFn", "Documents", "SourceRef", "image_names", "load_documents", "parse_ref",
           "resolve_documents"]
