"""Environment changes as CNB env files express them, applied to an environment.

A layer's `env/`, `env.build/` and `env.launch/` directories hold one file per
variable; the file name says how its content changes the variable (Buildpack
API 0.10, "Environment Variable Modification Rules"):

    NAME, NAME.override   set NAME to the content
    NAME.default          set NAME only when it is unset
    NAME.prepend          content + delim + old value
    NAME.append           old value + delim + content
    NAME.delim            the delimiter for prepend/append (none when absent)

Built-in buildpacks use the same keys in `BuiltLayer.launch_env`/`build_env`
and `BuildResult.launch_env`. The lifecycle also puts a build or launch layer's
`bin/` in front of PATH and its `lib/` in front of LD_LIBRARY_PATH, with ":".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

_OPS = ("override", "default", "prepend", "append")


def apply_env(base: Mapping[str, str], changes: Mapping[str, str]) -> dict[str, str]:
    """`base` with `changes` (CNB env file names → contents) applied; `base` is not modified."""
    env = dict(base)
    delims = {k[: -len(".delim")]: v for k, v in changes.items() if k.endswith(".delim")}
    for key in sorted(k for k in changes if not k.endswith(".delim")):
        name, _, op = key.rpartition(".") if key.rsplit(".", 1)[-1] in _OPS else (key, "", "override")
        value = changes[key]
        if op == "override":
            env[name] = value
        elif op == "default":
            env.setdefault(name, value)
        else:
            old = env.get(name, "")
            delim = delims.get(name, "")
            if not old:
                env[name] = value
            else:
                env[name] = f"{value}{delim}{old}" if op == "prepend" else f"{old}{delim}{value}"
    return env


def prepend_path(name: str, *dirs: str) -> dict[str, str]:
    """Changes that put `dirs` in front of the list variable `name` (PATH, LD_LIBRARY_PATH…), ":"-separated."""
    return {f"{name}.prepend": ":".join(dirs), f"{name}.delim": ":"} if dirs else {}


def layer_dirs_env(host_path: Path, target: str) -> dict[str, str]:
    """PATH / LD_LIBRARY_PATH changes for a layer whose `bin/` or `lib/` exists (CNB lifecycle behaviour)."""
    changes: dict[str, str] = {}
    if (host_path / "bin").is_dir():
        changes |= prepend_path("PATH", f"{target}/bin")
    if (host_path / "lib").is_dir():
        changes |= prepend_path("LD_LIBRARY_PATH", f"{target}/lib")
    return changes


def read_env_dir(directory: Path) -> dict[str, str]:
    """The changes a CNB env directory holds (file name → content); {} when it does not exist."""
    if not directory.is_dir():
        return {}
    return {p.name: p.read_text(encoding="utf-8", errors="replace") for p in sorted(directory.iterdir())
            if p.is_file() and not p.name.startswith(".")}


def dedupe_list(value: str, delim: str = ":") -> str:
    """A ':'-list with repeated entries removed, first occurrence kept (PATH after many prepends)."""
    seen: list[str] = []
    for item in value.split(delim):
        if item and item not in seen:
            seen.append(item)
    return delim.join(seen)


def apply_all(base: Mapping[str, str], changes: Iterable[Mapping[str, str]]) -> dict[str, str]:
    """`base` with each change set applied in turn, PATH-like lists de-duplicated at the end."""
    env = dict(base)
    for change in changes:
        env = apply_env(env, change)
    for name in ("PATH", "LD_LIBRARY_PATH"):
        if name in env:
            env[name] = dedupe_list(env[name])
    return env
