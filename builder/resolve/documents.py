"""Kubernetes YAML as round-trip documents: find `dockless://` strings, replace them, write the rest as it was.

ruamel.yaml's round-trip mode keeps comments, key order, quoting and flow
style, so a resolved manifest differs from its source only in the replaced
strings — what `ko resolve` users expect from a tool that rewrites their files.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from builder.errors import UsageError

from .refs import PREFIX

YAML_SUFFIXES = (".yaml", ".yml")


_KEY_LINE = re.compile(r"^( *)[^\s#-][^#]*:[ \t]*(#.*)?$")
_ITEM_LINE = re.compile(r"^( *)- ")


def _yaml(indented_sequences: bool = False) -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never fold a long line that was not folded
    if indented_sequences:
        yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def indents_sequences(text: str) -> bool:
    """Whether the file writes a block sequence indented under its key (`key:\n  - a`), as most
    Kubernetes docs do, rather than level with it (`key:\n- a`, kubectl's output). ruamel.yaml
    writes one style per dump, so the file's first block sequence decides."""
    lines = text.splitlines()
    for above, line in zip(lines, lines[1:]):
        key, item = _KEY_LINE.match(above), _ITEM_LINE.match(line)
        if key and item:
            return len(item.group(1)) > len(key.group(1))
    return False


@dataclass
class Documents:
    """The YAML documents of one file, in order; `path` is where they came from (for messages)."""

    path: Path
    docs: list[Any]
    indented_sequences: bool = False

    def references(self) -> Iterator[str]:
        """Every string value that starts with `dockless://`, in document order (repeats included)."""
        for doc in self.docs:
            yield from _strings(doc)

    def replace(self, images: Mapping[str, str]) -> None:
        """Replace every `dockless://` string found in `images` (keys as written) by its value, in place."""
        for doc in self.docs:
            _replace(doc, images)

    def dump(self) -> str:
        """The documents as YAML text, separated by `---` when there are several."""
        out = io.StringIO()
        _yaml(self.indented_sequences).dump_all(self.docs, out)
        return out.getvalue()


def load_documents(target: Path) -> list[Documents]:
    """The YAML files of `target`: the file itself, or every *.yaml / *.yml under a directory, sorted.

    Raises UsageError (exit 2) for a missing path, a directory with no YAML,
    or YAML that does not parse (with the file, line and column).
    """
    if target.is_dir():
        files = sorted(p for p in target.rglob("*") if p.is_file() and p.suffix in YAML_SUFFIXES)
        if not files:
            raise UsageError(f"{target} holds no .yaml or .yml file", "pass a manifest file or a directory of them")
    elif target.is_file():
        files = [target]
    else:
        raise UsageError(f"-f {target}: no such file or directory", "pass a manifest file or a directory of them")
    return [_load(path) for path in files]


def _load(path: Path) -> Documents:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path} is not UTF-8 text (byte {exc.start})", "save it as UTF-8") from None
    except OSError as exc:
        raise UsageError(f"{path} cannot be read: {exc.strerror or exc}", "check the path and its permissions") from None
    try:
        docs = [doc for doc in _yaml().load_all(text) if doc is not None]
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1} column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise UsageError(f"{path}{where} is not valid YAML: {problem}",
                         "fix the indentation or quoting there (kubectl would refuse it too)") from None
    return Documents(path, docs, indents_sequences(text))


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        if node.startswith(PREFIX):
            yield str(node)
    elif isinstance(node, Mapping):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from _strings(item)


def _replace(node: Any, images: Mapping[str, str]) -> None:
    if isinstance(node, dict):  # ruamel's CommentedMap is a dict: assigning keeps its comments and order
        for key, value in node.items():
            if isinstance(value, str) and value in images:
                node[key] = type(value)(images[value]) if _keeps_style(value) else images[value]
            else:
                _replace(value, images)
    elif isinstance(node, list):
        for index, item in enumerate(node):
            if isinstance(item, str) and item in images:
                node[index] = type(item)(images[item]) if _keeps_style(item) else images[item]
            else:
                _replace(item, images)


def _keeps_style(value: str) -> bool:
    """A quoted scalar (ruamel's str subclasses) keeps its quotes when replaced with the same type."""
    return type(value) is not str
