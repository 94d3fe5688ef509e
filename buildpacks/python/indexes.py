"""Package indexes for pip, from the build env (`--env`) and the app's own files; credentials stay in the env.

pip reads every setting from `PIP_*` variables, so nothing is written to a
file the image could ship (no pip.conf, no netrc). The settings and where
they come from, first found wins for the main index:

    PIP_INDEX_URL / PIP_EXTRA_INDEX_URL / PIP_TRUSTED_HOST   passed through as given
    UV_INDEX_URL, UV_DEFAULT_INDEX → the main index; UV_EXTRA_INDEX_URL, UV_INDEX → extra ones (uv's names)
    Poetry: [[tool.poetry.source]] in pyproject.toml (priority "primary"/"default" → main index, else
            extra), with POETRY_HTTP_BASIC_<NAME>_USERNAME / _PASSWORD from the env put into the URL
    Pipenv: Pipfile.lock _meta.sources, with `${VAR}` expanded from the env (Pipenv's own rule), the
            first the main index, the rest extra

pip prints index URLs with the password masked ("https://user:****@host"), and
dockless logs no environment, so a password given this way is in neither the
image nor the log.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

from detectors.python import read_pipfile_lock, read_toml

PASSED = ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_TRUSTED_HOST", "PIP_FIND_LINKS", "PIP_NO_INDEX")


def with_credentials(url: str, user: str, password: str) -> str:
    parts = urlsplit(url)
    if not user or "@" in parts.netloc:
        return url
    auth = quote(user, safe="") + (":" + quote(password, safe="") if password else "")
    return urlunsplit(parts._replace(netloc=f"{auth}@{parts.netloc}"))


def _expand(value: str, env: Mapping[str, str]) -> str:
    return re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: env.get(m.group(1) or m.group(2), m.group(0)), value)


def pip_env(app: Path, installer: str, env: Mapping[str, str]) -> dict[str, str]:
    """The PIP_* variables for the install (may hold credentials: pass to the executor only)."""
    main: list[str] = []
    extra: list[str] = []
    if installer == "poetry":
        sources = (read_toml(app / "pyproject.toml") or {}).get("tool", {}).get("poetry", {}).get("source", [])
        for source in sources if isinstance(sources, list) else []:
            if not isinstance(source, dict) or not source.get("url"):
                continue
            key = re.sub(r"\W", "_", str(source.get("name", ""))).upper()
            url = with_credentials(str(source["url"]), env.get(f"POETRY_HTTP_BASIC_{key}_USERNAME", ""),
                                   env.get(f"POETRY_HTTP_BASIC_{key}_PASSWORD", ""))
            (main if source.get("priority", "primary" if source.get("default") else "") in ("primary", "default")
             else extra).append(url)
    if installer == "pipenv":
        sources = ((read_pipfile_lock(app / "Pipfile.lock") or {}).get("_meta", {}).get("sources", []))
        urls = [_expand(str(s["url"]), env) for s in sources if isinstance(s, dict) and s.get("url")]
        main, extra = urls[:1], urls[1:]
    for name in ("UV_DEFAULT_INDEX", "UV_INDEX_URL"):
        if env.get(name):
            main = [env[name]]
    for name in ("UV_INDEX", "UV_EXTRA_INDEX_URL"):
        extra += env.get(name, "").split()
    result: dict[str, str] = {}
    if main:
        result["PIP_INDEX_URL"] = main[0]
    if extra:
        result["PIP_EXTRA_INDEX_URL"] = " ".join(extra)
    result.update({name: env[name] for name in PASSED if env.get(name)})
    return result


def secrets_in(env: Mapping[str, str]) -> list[str]:
    """The passwords inside index URLs of `env`, to check that no log line carries one."""
    found = []
    for value in env.values():
        for url in value.split():
            password = urlsplit(url).password
            if password:
                found.append(password)
    return found


__all__ = ["pip_env", "secrets_in", "with_credentials"]
