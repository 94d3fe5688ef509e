"""project.toml, the Cloud Native Buildpacks project descriptor (v0.2, and v0.1's layout).

Read from the root of the directory being built (after --subdir). dockless
honours what changes the source stage and the build: `include`/`exclude`
(gitignore-style, mutually exclusive) and build-time env. Buildpack groups and
`builder` are parsed by nobody yet; they are left in `raw` for later stages.

    v0.2: [_] schema-version = "0.2"          v0.1: [project] id/name/version
          [io.buildpacks] include / exclude          [build] include / exclude
          [[io.buildpacks.build.env]] name/value     [[build.env]] name/value
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli

from builder.errors import UsageError

FILENAME = "project.toml"
SUPPORTED_SCHEMAS = ("0.1", "0.2")


@dataclass(frozen=True)
class ProjectDescriptor:
    """The parts of project.toml dockless acts on; `raw` is the whole parsed document."""

    schema_version: str
    id: str | None = None
    name: str | None = None
    version: str | None = None
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)


def load_project(path: Path) -> ProjectDescriptor | None:
    """Parse `path` if it exists; a malformed descriptor is the user's input error (exit 2)."""
    if not path.is_file():
        return None
    try:
        doc = tomli.loads(path.read_text(encoding="utf-8"))
    except (tomli.TOMLDecodeError, UnicodeDecodeError) as err:
        raise UsageError(f"{FILENAME} is not valid TOML: {err}",
                         hint="see https://buildpacks.io/docs/reference/config/project-descriptor/") from None
    return parse_project(doc)


def parse_project(doc: Mapping[str, Any]) -> ProjectDescriptor:
    """Build a descriptor from a parsed TOML document (schema from `[_] schema-version`).

    With no schema-version, pack warns and reads v0.1, which silently drops a v0.2 layout's
    `[io.buildpacks]` (its env, its include/exclude). The layout is unambiguous, so dockless
    reads the one the file uses: `[io.buildpacks]` alone is v0.2, both layouts at once is exit 2.
    """
    meta = _table(doc, "_")
    schema = meta.get("schema-version")
    if schema is None:
        v02 = "buildpacks" in _table(doc, "io")
        if v02 and "build" in doc:
            raise UsageError(f"{FILENAME} has both [build] (schema 0.1) and [io.buildpacks] (0.2) and no "
                             "schema-version", hint='add [_] schema-version = "0.2" and move [build] under '
                                                     "[io.buildpacks]")
        if v02:
            schema = "0.2"
        else:
            return _descriptor("0.1", _table(doc, "project"), _table(doc, "build"), _table(doc, "build"), doc)
    if schema not in SUPPORTED_SCHEMAS:
        raise UsageError(f"{FILENAME} schema-version {schema!r} is not supported",
                         hint=f"use schema-version = \"0.2\" (supported: {', '.join(SUPPORTED_SCHEMAS)})")
    if schema == "0.1":
        return _descriptor("0.1", _table(doc, "project"), _table(doc, "build"), _table(doc, "build"), doc)
    buildpacks = _table(_table(doc, "io"), "buildpacks", "io.buildpacks")
    build = _table(buildpacks, "build", "io.buildpacks.build")
    return _descriptor("0.2", meta, buildpacks, build, doc)


def _descriptor(schema: str, meta: Mapping[str, Any], files: Mapping[str, Any],
                build: Mapping[str, Any], doc: Mapping[str, Any]) -> ProjectDescriptor:
    include = _strings(files, "include")
    exclude = _strings(files, "exclude")
    if include and exclude:
        raise UsageError(f"{FILENAME} sets both include and exclude",
                         hint="the project descriptor allows only one of them; keep include or exclude")
    return ProjectDescriptor(
        schema_version=schema,
        id=_optional_str(meta, "id"),
        name=_optional_str(meta, "name"),
        version=_optional_str(meta, "version"),
        include=include,
        exclude=exclude,
        env=_env(build),
        raw=doc,
    )


def _table(doc: Mapping[str, Any], key: str, where: str | None = None) -> Mapping[str, Any]:
    value = doc.get(key, {})
    if not isinstance(value, Mapping):
        raise UsageError(f"{FILENAME}: [{where or key}] must be a table")
    return value


def _strings(table: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise UsageError(f"{FILENAME}: {key} must be a list of strings")
    return tuple(value)


def _optional_str(table: Mapping[str, Any], key: str) -> str | None:
    value = table.get(key)
    return value if isinstance(value, str) else None


def _env(build: Mapping[str, Any]) -> dict[str, str]:
    entries = build.get("env", [])
    if not isinstance(entries, list):
        raise UsageError(f"{FILENAME}: build.env must be an array of tables ([[...build.env]])")
    env: dict[str, str] = {}
    for entry in entries:
        name = entry.get("name") if isinstance(entry, Mapping) else None
        value = entry.get("value", "") if isinstance(entry, Mapping) else None
        if not isinstance(name, str) or not name or "=" in name or not isinstance(value, str):
            raise UsageError(f"{FILENAME}: each build.env entry needs a string name and a string value",
                             hint='e.g. [[io.buildpacks.build.env]] name = "BP_NODE_VERSION" value = "20"')
        env[name] = value
    return env
