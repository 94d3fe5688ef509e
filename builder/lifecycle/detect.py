"""DETECT: try the groups in order; the first whose required members pass and whose plan resolves wins.

As the CNB lifecycle's detector (platform spec, "Detection"):

- each member's detect runs once per build, even if it appears in several groups;
- a required member that fails fails the group; an optional one is dropped;
- the build plan must resolve: every `requires` of a member is provided by the
  same or an earlier member, and every `provides` is required by the same or a
  later member. An optional member whose plan does not resolve is dropped; a
  required one fails the group.

A detector that finds a malformed file answers fail with `malformed` set (a
`UsageError` it raises is turned into exactly that), so other groups are still
tried and `dockless detect` can show them all. But `require` stops the build on
it (exit 2 naming the file) even when a later group passes: a broken
package.json beside a Procfile must not build as a Procfile app that lacks
Node.js and fails for a reason that hides the real one (Heroku fails the build
on the parse error too). With no malformed file and no passing group: exit 4.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from builder.errors import DetectionError, UsageError
from builder.lifecycle.contract import Buildpack, BuildpackPlan, DetectContext, Detection, Require
from builder.lifecycle.registry import GroupMember


@dataclass(frozen=True)
class Candidate:
    """A group as tried: its members with their answers, whether it passed, and why not."""

    members: tuple[tuple[GroupMember, Detection], ...]
    passed: bool
    why: str = ""


@dataclass(frozen=True)
class Selected:
    """A passing group member and the build plan it must provide."""

    buildpack: Buildpack
    detection: Detection
    plan: BuildpackPlan


@dataclass(frozen=True)
class DetectResult:
    """The chosen group (empty when none passed) and every group tried, for reporting."""

    group: tuple[Selected, ...]
    candidates: tuple[Candidate, ...]

    @property
    def passed(self) -> bool:
        return bool(self.group)

    @property
    def buildpack_ids(self) -> tuple[str, ...]:
        return tuple(s.buildpack.id for s in self.group)


def detect(ctx: DetectContext, order: Sequence[Sequence[tuple[GroupMember, Buildpack]]]) -> DetectResult:
    """Run detection over `order` (groups of (member, buildpack)); stop at the first passing group."""
    answers: dict[str, Detection] = {}
    candidates: list[Candidate] = []
    for group in order:
        members = []
        for member, buildpack in group:
            if member.id not in answers:
                answers[member.id] = _answer(buildpack, ctx)
            members.append((member, answers[member.id]))
        candidate, selected = _resolve(tuple(members), {m.id: bp for m, bp in group})
        candidates.append(candidate)
        if selected:
            return DetectResult(selected, tuple(candidates))
    return DetectResult((), tuple(candidates))


def _answer(buildpack: Buildpack, ctx: DetectContext) -> Detection:
    try:
        return buildpack.detect(ctx)
    except UsageError as exc:  # a malformed input file: a failed detection with its reason
        return Detection(buildpack.id, False, (exc.message,), malformed=exc.message)


def _resolve(members: tuple[tuple[GroupMember, Detection], ...],
             buildpacks: dict[str, Buildpack]) -> tuple[Candidate, tuple[Selected, ...]]:
    for member, detection in members:
        if not detection.passed and not member.optional:
            return Candidate(members, False, f"{member.id} did not pass"), ()
    kept = [(m, d) for m, d in members if d.passed]
    while True:
        problem = _plan_problem(kept)
        if problem is None:
            break
        index, why = problem
        member = kept[index][0]
        if not member.optional:
            return Candidate(members, False, why), ()
        del kept[index]
    if not kept:
        return Candidate(members, False, "no member passed"), ()
    selected = tuple(Selected(buildpacks[m.id], d, _plan_for(d, kept)) for m, d in kept)
    return Candidate(members, True), selected


def _plan_problem(kept: list[tuple[GroupMember, Detection]]) -> tuple[int, str] | None:
    """The first member whose plan does not resolve, and why; None when the whole plan resolves."""
    for i, (member, detection) in enumerate(kept):
        for require in detection.requires:
            if not any(require.name in d.provides for _, d in kept[: i + 1]):
                return i, f"{member.id} requires '{require.name}', which no buildpack before it provides"
        for provided in detection.provides:
            if not any(provided in (r.name for r in d.requires) for _, d in kept[i:]):
                return i, f"{member.id} provides '{provided}', which no buildpack from it on requires"
    return None


def _plan_for(detection: Detection, kept: list[tuple[GroupMember, Detection]]) -> BuildpackPlan:
    entries: list[Require] = []
    for _, other in kept:
        entries += [r for r in other.requires if r.name in detection.provides]
    return BuildpackPlan(tuple(entries))


def require(result: DetectResult) -> tuple[Selected, ...]:
    """The chosen group, or the error that explains every group: UsageError (exit 2) when a
    detector reported a malformed file (whether or not a group passed), else DetectionError (exit 4)."""
    malformed = [d for c in result.candidates for _, d in c.members if d.malformed]
    if malformed:
        first = malformed[0]
        fallback = (f"without it the source would build as {', '.join(result.buildpack_ids)}, as if the file "
                    "were not there" if result.group else "no other buildpack matched the source either")
        raise UsageError(f"{first.buildpack}: {first.malformed}",
                         f"fix the file; {fallback} (dockless detect shows every group)")
    if result.group:
        return result.group
    why = " | ".join(
        (f"group {i}: " if len(result.candidates) > 1 else "")
        + "; ".join(f"{m.id}{' (optional)' if m.optional else ''}: {_one_line(d.reasons)}" for m, d in c.members)
        for i, c in enumerate(result.candidates, 1))
    raise DetectionError(f"no buildpack group matched the source ({why})",
                         "run 'dockless detect SOURCE' for every group and reason; use --subdir for monorepos, "
                         "or --buildpack to choose")


def _one_line(reasons: Sequence[str]) -> str:
    """A member's reasons as one readable clause: sentences joined by ', ', whitespace folded."""
    return ", ".join(" ".join(r.split()) for r in reasons if r.strip()) or "no match"
