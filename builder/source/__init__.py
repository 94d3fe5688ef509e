"""The SOURCE stage: a directory or a git URL in, a clean workspace and its provenance out.

    from builder.source import SourceSpec, fetch_source
    ws = fetch_source(SourceSpec("https://host/org/app.git", revision="v1.2"), Path("/tmp/ws"))
    ws.path, ws.commit, ws.url   # tree without .git; full sha; URL with credentials redacted

Modules: `_url` (what SOURCE is, redaction), `_clone` + `_gitcmd` (GitPython,
shallow fetch, git errors → SourceError), `_local` (git metadata of a local
directory), `_project` (project.toml), `_patterns` (gitignore-style
include/exclude), `_tree` (copying the selected tree), `_monorepo` (--subdir
inside a JS workspace: keep the workspace root), `_fetch` (the stage).
"""

from __future__ import annotations

from ._fetch import SourceSpec, Workspace, fetch_source
from ._monorepo import Declaration, EnclosingRoot, declaration, dependency_names, member_dirs, package_name
from ._project import ProjectDescriptor, load_project, parse_project
from ._tree import NEVER_SHIP, VCS_NAMES
from ._url import GitUrl, LocalDir, classify_source, redact_text, redact_url, url_secrets

__all__ = [
    "Declaration",
    "EnclosingRoot",
    "NEVER_SHIP",
    "VCS_NAMES",
    "GitUrl",
    "LocalDir",
    "ProjectDescriptor",
    "SourceSpec",
    "Workspace",
    "classify_source",
    "declaration",
    "dependency_names",
    "fetch_source",
    "load_project",
    "member_dirs",
    "package_name",
    "parse_project",
    "redact_text",
    "redact_url",
    "url_secrets",
]
