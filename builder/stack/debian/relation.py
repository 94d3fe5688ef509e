"""Package relations (`libc6 (>= 2.38)`, `debconf | debconf-2.0`) parsed once into values."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


# Policy 7.1: bare "<" and ">" are deprecated spellings of "<=" and ">=".
_OPS = {"<<": "<<", "<=": "<=", "=": "=", ">=": ">=", ">>": ">>", "<": "<=", ">": ">="}


@dataclass(frozen=True, order=True)
class Relation:
    """One package name with an optional arch qualifier (`:any`) and version constraint."""

    name: str
    arch: str | None = None
    op: str | None = None
    version: str | None = None

    def allows(self, version: str | None) -> bool:
        """Whether a package (or a Provides) at `version` meets the constraint; unversioned meets only none."""
        if self.op is None or self.version is None:
            return True
        if version is None:
            return False
        from debian.debian_support import version_compare

        order = version_compare(version, self.version)
        return {
            "<<": order < 0,
            "<=": order <= 0,
            "=": order == 0,
            ">=": order >= 0,
            ">>": order > 0,
        }[self.op]

    def __str__(self) -> str:
        text = self.name + (f":{self.arch}" if self.arch else "")
        return text + (f" ({self.op} {self.version})" if self.op else "")


Alternatives = tuple[Relation, ...]
"""One comma-separated item of Depends: satisfied by any of its relations (`a | b`)."""


def parse_relations(text: str) -> tuple[Alternatives, ...]:
    """A Depends-style field as a tuple of alternatives, in field order."""
    if not text.strip():
        return ()
    from debian.deb822 import PkgRelation  # imported on first use: start-up stays fast

    return tuple(tuple(_relation(item) for item in group) for group in PkgRelation.parse_relations(text) if group)


def parse_provides(text: str) -> tuple[Relation, ...]:
    """A Provides field: plain relations, `=` being the only version form allowed."""
    return tuple(rel for group in parse_relations(text) for rel in group)


def format_alternatives(group: Alternatives) -> str:
    return " | ".join(str(rel) for rel in group)


def _relation(item: Mapping[str, object]) -> Relation:
    version = item.get("version")
    op, ver = version if isinstance(version, tuple) else (None, None)
    arch = item.get("archqual")
    return Relation(
        name=str(item["name"]),
        arch=str(arch) if arch else None,
        op=_OPS.get(op, op) if op else None,
        version=ver,
    )
