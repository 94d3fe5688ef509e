"""The TOML files of the CNB Buildpack API 0.10, read into contract types and written back.

Who writes what, and who reads it (Buildpack API 0.10, "Detection" and "Build"):

    buildpack.toml      the buildpack author; `CnbBuildpack.load` reads it
    plan (detect)       bin/detect writes it at $CNB_BUILD_PLAN_PATH; `read_plan` turns it into
                        the Detection's provides / requires
    plan (build)        `write_toml` writes `[[entries]]` at $CNB_BP_PLAN_PATH for bin/build
    <layer>.toml        bin/build writes it; `layer_types` reads `[types]` and `[metadata]`;
                        the cache restorer writes it back with `[metadata]` only
    launch.toml         bin/build writes it; `read_processes` reads `[[processes]]`

Metadata in the contract is string → string: a string stays as it is, anything
else (numbers, tables, arrays) is JSON-encoded (`stringify`).
"""

from __future__ import annotations

import datetime
import json
import posixpath
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from builder.errors import BuildError, UsageError
from builder.lifecycle.contract import WORKSPACE, Process, Require

_PROCESS_TYPE = re.compile(r"^[A-Za-z0-9_.-]+$")


def read_toml(path: Path, *, what: str, error: type[UsageError] | type[BuildError] = UsageError) -> dict[str, Any]:
    """The table in `path`; a missing or malformed file raises `error` naming `what`, the file and the problem."""
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        raise error(f"{what}: {path} does not exist", "see the CNB Buildpack API 0.10") from None
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{what}: {path} is not valid TOML ({exc})", "fix the file (TOML 1.0)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"{what}: cannot read {path} ({exc})", "check the file's permissions") from None


def stringify(metadata: Mapping[str, Any]) -> dict[str, str]:
    """Contract metadata: strings kept, every other value JSON-encoded (sorted keys, so stable)."""
    return {str(k): v if isinstance(v, str) else json.dumps(v, sort_keys=True, default=str)
            for k, v in metadata.items()}


def _table(value: object, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError(f"{where} must be a table")
    return value


def _array(value: object, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ValueError(f"{where} must be an array of tables ([[{where}]])")
    return value


def _name(entry: dict[str, Any], where: str) -> str:
    name = entry.get("name")
    if not isinstance(name, str) or not name:
        raise ValueError(f"every [[{where}]] needs a name")
    return name


def read_plan(data: Mapping[str, Any]) -> tuple[tuple[str, ...], tuple[Require, ...], int]:
    """(provides, requires, alternatives ignored) of a detect-time build plan.

    The spec lets bin/detect offer alternatives: the top-level plan, then each
    `[[or]]`; the lifecycle tries them in turn until the group's plan resolves.
    The contract's Detection holds one plan, so dockless takes the first
    alternative (the top level, or the first `[[or]]` when the top level is
    empty) and reports how many it ignored. A `version` key of an old-style
    `[[requires]]` moves into its metadata, as the lifecycle does.
    Raises ValueError naming the problem.
    """
    alternatives = [dict(data)] + _array(data.get("or"), "or")
    chosen = next((a for a in alternatives if a.get("provides") or a.get("requires")), alternatives[0])
    provides = tuple(_name(p, "provides") for p in _array(chosen.get("provides"), "provides"))
    requires = []
    for entry in _array(chosen.get("requires"), "requires"):
        metadata = _table(entry.get("metadata"), "requires.metadata")
        if "version" in entry and "version" not in metadata:
            metadata = {**metadata, "version": entry["version"]}
        requires.append(Require(_name(entry, "requires"), stringify(metadata)))
    ignored = sum(1 for a in alternatives if a is not chosen and (a.get("provides") or a.get("requires")))
    return provides, tuple(requires), ignored


def layer_types(data: Mapping[str, Any]) -> tuple[bool, bool, bool, dict[str, Any]]:
    """(launch, build, cache, metadata) of a `<layer>.toml`; an unset type is false (API ≥ 0.6 `[types]`)."""
    types = _table(data.get("types"), "types")
    flags = []
    for key in ("launch", "build", "cache"):
        value = types.get(key, False)
        if not isinstance(value, bool):
            raise ValueError(f"[types] {key} must be true or false")
        flags.append(value)
    return flags[0], flags[1], flags[2], _table(data.get("metadata"), "metadata")


def read_processes(data: Mapping[str, Any], api: tuple[int, int]) -> tuple[Process, ...]:
    """The `[[processes]]` of a launch.toml, as contract Processes.

    API ≥ 0.9: `command` is a list, run directly; `args` are default arguments
    the user may replace. Older APIs: `command` is a string, run through
    `/bin/sh -c` with its args appended unless `direct = true`.
    `working-dir` defaults to the app directory. Raises ValueError.
    """
    processes = []
    for entry in _array(data.get("processes"), "processes"):
        kind = entry.get("type")
        if not isinstance(kind, str) or not _PROCESS_TYPE.match(kind):
            raise ValueError(f"process type {kind!r} must be letters, digits, '.', '_' or '-'")
        command, args = entry.get("command"), entry.get("args", [])
        if isinstance(command, str):
            command = [command]
        if not isinstance(command, list) or not command or not all(isinstance(c, str) for c in command):
            raise ValueError(f"process '{kind}': command must be a non-empty list of strings")
        if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
            raise ValueError(f"process '{kind}': args must be a list of strings")
        if api < (0, 9) and not entry.get("direct", False):
            command, args = ["/bin/sh", "-c", " ".join([*command, *args])], []
        workdir = entry.get("working-dir", WORKSPACE)
        if not isinstance(workdir, str) or not workdir:
            raise ValueError(f"process '{kind}': working-dir must be a path")
        processes.append(Process(kind, tuple(command), tuple(args), entry.get("default") is True,
                                 posixpath.normpath(posixpath.join(WORKSPACE, workdir))))
    return tuple(processes)


def write_toml(data: Mapping[str, Any]) -> str:
    """TOML text for `data`: top-level scalars, then tables and arrays of tables, nested values inline."""
    lines = [f"{_key(k)} = {_value(v)}" for k, v in data.items() if not _is_table(v) and not _is_tables(v)]
    for key, value in data.items():
        if _is_table(value):
            lines += ["", f"[{_key(key)}]", *(f"{_key(k)} = {_value(v)}" for k, v in value.items())]
        elif _is_tables(value):
            for item in value:
                lines += ["", f"[[{_key(key)}]]"]
                lines += [f"{_key(k)} = {_value(v)}" for k, v in item.items() if not _is_table(v)]
                for k, v in item.items():
                    if _is_table(v):
                        lines += [f"[{_key(key)}.{_key(k)}]", *(f"{_key(a)} = {_value(b)}" for a, b in v.items())]
    return "\n".join(lines).lstrip("\n") + "\n"


def _is_table(value: object) -> bool:
    return isinstance(value, dict)


def _is_tables(value: object) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else _string(key)


def _string(text: str) -> str:
    # json's escapes (\" \\ \n \t \uXXXX for controls) are TOML's; DEL must be escaped too.
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value) if value == value and value not in (float("inf"), float("-inf")) else _string(str(value))
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    return _string(str(value))
