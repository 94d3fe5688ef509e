"""The dependency closure of a few package names, the same every time for the same index.

Rules, chosen to be predictable rather than clever (no scoring, no backtracking):
- Pre-Depends and Depends are followed; Recommends and Suggests never are. Essential
  packages come in only when something names them, as a run image wants.
- Dependencies with one obvious answer are taken first; choices (`a | b` groups and
  virtual names) wait until nothing else is left, so an alternative or provider that
  something else pulled in anyway is preferred. If none is selected by then, the first
  alternative that exists wins.
- A virtual name (Provides) goes to a real package of that name if there is one, else to
  an already selected provider, else to the provider with the highest Priority, then by
  name (so `awk` is mawk, Priority required, as debootstrap would pick). Requested
  names follow the same rules.
- `:any` and `:native` qualifiers are accepted; a foreign-arch qualifier cannot be met
  from a single-architecture index.
- `exclude` names count as installed (a base image's packages, or ones deliberately left
  out such as debconf); whatever they satisfy is not pulled in, and they are not returned.
"""

from __future__ import annotations

import difflib
from collections import deque
from collections.abc import Iterable
from typing import NoReturn

from builder.errors import StackError

from .packages import Package, PackageIndex
from .relation import Alternatives, Relation, format_alternatives

_PRIORITY = {"required": 0, "important": 1, "standard": 2, "optional": 3, "extra": 4}


def resolve(
    index: PackageIndex,
    names: Iterable[str],
    exclude: Iterable[str] = (),
    *,
    arch: str = "amd64",
    where: str = "the package index",
) -> list[Package]:
    """The packages `names` need, sorted by name; `where` names the index in errors ("trixie/main amd64")."""
    return _Resolver(index, frozenset(exclude), arch, where).run(names)


def suggest(index: PackageIndex, name: str) -> list[str]:
    """Up to three index names close to `name`, for "did you mean" hints."""
    return difflib.get_close_matches(name, list(index.names()), n=3, cutoff=0.75)


class _Resolver:
    def __init__(self, index: PackageIndex, exclude: frozenset[str], arch: str, where: str) -> None:
        self.index = index
        self.exclude = exclude
        self.arch = arch
        self.where = where
        self.selected: dict[str, Package] = {}
        self.provided: dict[str, list[Relation]] = {}
        self.queue: deque[Package] = deque()
        for name in sorted(exclude):
            for package in index.candidates(name)[:1]:
                self._note_provides(package)

    def run(self, names: Iterable[str]) -> list[Package]:
        pending: deque[tuple[str, Alternatives]] = deque()
        for name in sorted(set(names) - self.exclude):
            wanted = Relation(name)
            if self._choose(wanted) is None:
                self._unknown(name)
            self._need("the request", (wanted,), pending)
        while self.queue or pending:
            while self.queue:
                package = self.queue.popleft()
                for group in package.relations:
                    self._need(f"'{package.name}'", group, pending)
            if pending:
                owner, group = pending.popleft()
                if not self._satisfied(group):
                    self._add(self._pick(owner, group))
        return sorted(self.selected.values(), key=lambda p: p.name)

    def _need(self, owner: str, group: Alternatives, pending: deque[tuple[str, Alternatives]]) -> None:
        """Take an obvious dependency now; queue a choice (`a | b`, a virtual name) until the obvious is in."""
        if self._satisfied(group):
            return
        if len(group) > 1 or not self._real(group[0]):
            pending.append((owner, group))
        else:
            self._add(self._pick(owner, group))

    def _arch_ok(self, rel: Relation) -> bool:
        return rel.arch in (None, "any", "native", self.arch)

    def _satisfied(self, group: Alternatives) -> bool:
        for rel in group:
            if not self._arch_ok(rel):
                continue
            if rel.name in self.exclude:
                return True
            if any(rel.allows(provided.version) for provided in self.provided.get(rel.name, ())):
                return True
        return False

    def _real(self, rel: Relation) -> bool:
        """Whether a real package of that name meets `rel` (no provider has to be chosen)."""
        return self._arch_ok(rel) and any(rel.allows(c.version) for c in self.index.candidates(rel.name))

    def _choose(self, rel: Relation) -> Package | None:
        """The package that best meets `rel`, or None if nothing in the index can."""
        if not self._arch_ok(rel):
            return None
        for candidate in self.index.candidates(rel.name):
            if rel.allows(candidate.version):
                return candidate
        providers = [package for provided, package in self.index.providers(rel.name) if rel.allows(provided.version)]
        return min(providers, key=lambda p: (_PRIORITY.get(p.priority, 5), p.name), default=None)

    def _pick(self, owner: str, group: Alternatives) -> Package:
        for rel in group:
            chosen = self._choose(rel)
            if chosen is not None:
                return chosen
        raise StackError(
            f"{owner} depends on '{format_alternatives(group)}', which nothing in {self.where} provides",
            "the index may lack it for this architecture; if the base has it, pass it in the exclude set",
        )

    def _add(self, package: Package) -> None:
        current = self.selected.get(package.name)
        if current == package:
            return
        if current is not None:
            raise StackError(
                f"'{package.name}' is needed at {package.version} but {current.version} was already chosen",
                "the requested packages need conflicting versions; request fewer packages",
            )
        self.selected[package.name] = package
        self._note_provides(package)
        self.queue.append(package)

    def _note_provides(self, package: Package) -> None:
        self.provided.setdefault(package.name, []).append(Relation(package.name, op="=", version=package.version))
        for provided in package.provides:
            self.provided.setdefault(provided.name, []).append(provided)

    def _unknown(self, name: str) -> NoReturn:
        close = suggest(self.index, name)
        hint = (
            f"did you mean {' or '.join(repr(n) for n in close)}?"
            if close
            else "search https://packages.debian.org for the right name"
        )
        raise StackError(f"package '{name}' is not in {self.where}", hint)
