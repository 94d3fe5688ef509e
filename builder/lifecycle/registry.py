"""Which buildpacks are built in, and the default order of groups: the one place builder/ names them.

`ORDER` is a CNB builder's `order.toml`: groups tried in turn, the first whose
required members pass (and whose build plan resolves) wins. A built-in
buildpack pairs a detector (detectors/<id>.py) with a builder
(buildpacks/<id>/); both are imported only when the buildpack is used.
`--buildpack` replaces ORDER with one group (see `builder.lifecycle.group`).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from builder.lifecycle.contract import Builder, BuildContext, BuildResult, DetectContext, Detection, Detector


@dataclass(frozen=True)
class GroupMember:
    """One buildpack of a group; an optional one may fail detection without failing the group."""

    id: str
    optional: bool = False


Group = tuple[GroupMember, ...]

BUILTIN: dict[str, tuple[str, str]] = {
    # id: (detector, builder), as "module:Class"
    "nodejs": ("detectors.nodejs:NodeDetector", "buildpacks.nodejs:NodeBuildpack"),
    "ruby": ("detectors.ruby:RubyDetector", "buildpacks.ruby:RubyBuildpack"),
    "java": ("detectors.java:JavaDetector", "buildpacks.java:JavaBuildpack"),
    "python": ("detectors.python:PythonDetector", "buildpacks.python:PythonBuildpack"),
    "go": ("detectors.go:GoDetector", "buildpacks.go:GoBuildpack"),
    "static": ("detectors.static:StaticDetector", "buildpacks.static:StaticBuildpack"),
    "procfile": ("detectors.procfile:ProcfileDetector", "buildpacks.procfile:ProcfileBuildpack"),
}

ORDER: tuple[Group, ...] = (
    (GroupMember("nodejs", optional=True), GroupMember("ruby")),  # Ruby, with Node.js for assets when asked
    (GroupMember("python"),),
    (GroupMember("nodejs"), GroupMember("static")),  # a Node.js build script that writes a static site
    (GroupMember("nodejs"),),
    (GroupMember("java"),),
    (GroupMember("go"),),
    (GroupMember("static"),),  # index.html at the root or in public/
    (GroupMember("procfile"),),  # a Procfile and nothing else: its web process on the stack
)


def _class(spec: str) -> Any:
    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(module), name)


@dataclass(frozen=True)
class BuiltinBuildpack:
    """A built-in buildpack: the Buildpack contract over a Python detector and builder.

    The builder is made on first build, configured from the host environment when
    it wants that (`from_environ`: registries, CA bundle).
    """

    id: str
    detector_spec: str
    builder_spec: str
    host_env: Mapping[str, str]

    def detect(self, ctx: DetectContext) -> Detection:
        detector: Detector = _class(self.detector_spec)()
        return detector.detect(ctx.workspace, ctx.env, ctx.app_dir)

    def build(self, ctx: BuildContext) -> BuildResult:
        cls = _class(self.builder_spec)
        from_environ = getattr(cls, "from_environ", None)
        builder: Builder = from_environ(self.host_env) if from_environ else cls()
        return builder.build(ctx)


def builtin_ids() -> tuple[str, ...]:
    return tuple(BUILTIN)


def builtin(buildpack_id: str, host_env: Mapping[str, str]) -> BuiltinBuildpack | None:
    """The built-in buildpack `buildpack_id`, or None when there is none by that id."""
    specs = BUILTIN.get(buildpack_id)
    return BuiltinBuildpack(buildpack_id, specs[0], specs[1], host_env) if specs else None
