"""What a package manager says that the user must see: warnings always, blocked install scripts as a failure.

The executor's output goes to the verbose log only, but some lines change what
the image holds: npm 12 blocks dependencies' install scripts unless allowed
("npm warn install-scripts 1 package had install scripts blocked …"), pnpm 10
does the same ("Ignored build scripts: …"), yarn 2+ reports disabled (YN0004)
or failed (YN0009) builds. The package then ships whatever its tarball held — a
stub, or a build for another OS — and the image fails at `require()`. So:

- warning lines (npm `npm warn`, pnpm ` WARN `, yarn v1 `warning`, yarn 2+
  codes below, deprecation notices) go to the normal build log;
- a blocked or failed install script is a BuildError (exit 5) quoting the line
  and the packages it names.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable

from builder.errors import BuildError

_WARNING = re.compile(r"^\s*(npm (warn|WARN)\b|WARN\b|warning\b|.*\bYN0(002|004|009|060|061|068|086)\b)")
# Warnings dockless causes itself (managers.nodedir_env): not the app's business.
_OWN = re.compile(r'Unknown (env|user|project) config "nodedir"')
_BLOCKED = re.compile(
    r"install scripts? (were |was )?blocked|had install scripts blocked|ignored build scripts|"
    r"build scripts that were ignored|\bYN0004\b|\bYN0009\b", re.IGNORECASE)
_HINTS = {
    "npm": "this npm does not run dependencies' install scripts unless allowed: approve them "
           "('npm install-scripts approve <package>') and commit the result, or pin an npm that runs them "
           "(\"packageManager\": \"npm@11…\" or engines.npm)",
    "pnpm": "pnpm 10+ runs dependencies' build scripts only when allowed: list the package in package.json "
            "pnpm.onlyBuiltDependencies ('pnpm approve-builds' writes it)",
    "yarn-berry": "allow the package's build (package.json dependenciesMeta.<package>.built: true, and "
                  "enableScripts in .yarnrc.yml), or fix the failing build shown above",
}


def report(result: subprocess.CompletedProcess[str], *, what: str, manager: str,
           log: Callable[[str], None]) -> None:
    """Log `result`'s warning lines; raise BuildError when it blocked or failed an install script."""
    lines = (result.stdout or "").splitlines() + (result.stderr or "").splitlines()
    blocked: list[str] = []
    for i, line in enumerate(lines):
        text = line.rstrip()
        if _WARNING.search(text) and not _OWN.search(text):
            log(text.strip())
        if not blocked and _BLOCKED.search(text):
            blocked = [text.strip()] + _continuation(lines, i)
    if blocked:
        detail = " ".join(_strip_prefix(b) for b in blocked)
        raise BuildError(f"{what}: {detail}", _HINTS.get(manager, _HINTS["npm"]))


def _continuation(lines: list[str], index: int) -> list[str]:
    """The indented lines after `lines[index]` that carry the same prefix (npm lists the packages there)."""
    prefix = re.match(r"^\s*(npm (warn|WARN) [\w-]+)", lines[index])
    found = []
    for line in lines[index + 1:index + 21]:
        if prefix and line.startswith(prefix.group(1)) and line[len(prefix.group(1)):].startswith("   "):
            found.append(line.strip())
        elif not prefix and line.startswith("  ") and line.strip():
            found.append(line.strip())
        else:
            break
    return found


def _strip_prefix(line: str) -> str:
    line = re.sub(r"[\u2500-\u257f]", "", line).strip()  # pnpm draws its warnings in a box
    return re.sub(r"^(npm (warn|WARN) [\w-]+\s+|WARN\s+|➤\s+)", "", line).strip()
