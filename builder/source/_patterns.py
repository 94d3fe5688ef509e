"""gitignore-style patterns, as project.toml `include`/`exclude` use them.

The CNB project descriptor says these lists follow .gitignore syntax, so
users can paste lines from their .gitignore. We implement the subset git
documents (gitignore(5)): `#` comments, `!` negation, trailing `/` for
directories, a `/` anywhere but the end anchors the pattern to the root,
`*`, `?`, `[...]`, and `**` as a whole path component. As in git, a path is
matched when it or any parent directory is matched; negating a path under a
matched directory has no effect.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class _Rule:
    regex: re.Pattern[str]
    negated: bool
    dir_only: bool


@dataclass(frozen=True)
class PatternSet:
    """Compiled patterns; `matches(path, is_dir)` gives the last matching verdict."""

    rules: tuple[_Rule, ...]

    @classmethod
    def compile(cls, lines: tuple[str, ...] | list[str]) -> PatternSet:
        return cls(tuple(rule for line in lines if (rule := _compile(line)) is not None))

    def matches(self, path: str, is_dir: bool) -> bool | None:
        """True/False from the last rule matching `path` (posix, relative), None if none did."""
        verdict: bool | None = None
        for rule in self.rules:
            if rule.dir_only and not is_dir:
                continue
            if rule.regex.fullmatch(path):
                verdict = not rule.negated
        return verdict

    def matches_tree(self, path: str, is_dir: bool) -> bool:
        """True when `path` or one of its parent directories matches (git's rule)."""
        parts = path.split("/")
        for depth in range(1, len(parts)):
            if self.matches("/".join(parts[:depth]), True):
                return True
        return bool(self.matches(path, is_dir))


def _compile(line: str) -> _Rule | None:
    line = _strip_trailing_spaces(line.rstrip("\n\r"))
    if not line or line.startswith("#"):
        return None
    negated = line.startswith("!")
    if negated or line.startswith("\\!") or line.startswith("\\#"):
        line = line[1:]
    dir_only = line.endswith("/") and not line.endswith("\\/")
    line = line.rstrip("/") if dir_only else line
    if not line:
        return None
    anchored = "/" in line
    line = line.lstrip("/")
    body = _translate(line)
    prefix = "" if anchored else "(?:.*/)?"
    return _Rule(re.compile(prefix + body, re.DOTALL), negated, dir_only)


def _strip_trailing_spaces(line: str) -> str:
    """Trailing spaces are ignored unless escaped with a backslash."""
    stripped = line.rstrip(" ")
    if stripped.endswith("\\") and len(stripped) < len(line):
        return stripped + " "
    return stripped


def _translate(pattern: str) -> str:
    """One glob → regex body; `**` only has its special meaning as a whole component."""
    parts = pattern.split("/")
    out: list[str] = []
    last = len(parts) - 1
    for index, part in enumerate(parts):
        if part == "**":
            if index == last:
                out.append(".*" if index == 0 else "/.*")
            elif index == 0:
                out.append("(?:.*/)?")
            else:
                out.append("/(?:.*/)?")
            continue
        if index > 0 and parts[index - 1] != "**":
            out.append("/")
        out.append(_glob(part))
    return "".join(out)


def _glob(part: str) -> str:
    """`*` and `?` never cross a `/`; `[...]` is a character class (`[!x]` negates)."""
    out: list[str] = []
    i = 0
    while i < len(part):
        c = part[i]
        if c == "\\" and i + 1 < len(part):
            out.append(re.escape(part[i + 1]))
            i += 2
            continue
        if c == "*":
            while i + 1 < len(part) and part[i + 1] == "*":
                i += 1
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            end = _class_end(part, i)
            if end < 0:
                out.append(re.escape(c))
            else:
                out.append(_char_class(part[i + 1:end]))
                i = end
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)


def _char_class(body: str) -> str:
    negate = body[:1] in ("!", "^")
    body = body[1:] if negate else body
    chars = "".join(c if c == "-" else re.escape(c) for c in body)
    return "[" + ("^" if negate else "") + chars + "]"


def _class_end(part: str, start: int) -> int:
    """Index of the `]` closing the class opened at `start`, or -1."""
    i = start + 1
    if i < len(part) and part[i] in "!^":
        i += 1
    if i < len(part) and part[i] == "]":
        i += 1
    while i < len(part):
        if part[i] == "]":
            return i
        i += 1
    return -1
