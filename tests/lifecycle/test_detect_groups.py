"""DETECT over groups: first passing group wins, optional members, plan resolution, malformed input."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from builder.errors import DetectionError, UsageError
from builder.lifecycle.contract import BuildContext, BuildResult, DetectContext, Detection, Require
from builder.lifecycle.detect import detect, require
from builder.lifecycle.registry import BuiltinBuildpack, GroupMember


@dataclass
class Scripted:
    """A buildpack whose detect answers from a table (and counts calls)."""

    id: str
    answer: Detection | Exception
    calls: list[str] = field(default_factory=list)

    def detect(self, ctx: DetectContext) -> Detection:
        self.calls.append(self.id)
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer

    def build(self, ctx: BuildContext) -> BuildResult:
        return BuildResult()


def passing(bp: str, provides: tuple[str, ...] = (), requires: tuple[str, ...] = ()) -> Scripted:
    return Scripted(bp, Detection(bp, True, (f"{bp} passes",), provides, tuple(Require(r, {"by": bp}) for r in requires)))


def failing(bp: str) -> Scripted:
    return Scripted(bp, Detection(bp, False, (f"{bp} found nothing",)))


def ctx(tmp_path: Path) -> DetectContext:
    return DetectContext(tmp_path, {})


def test_first_group_whose_required_members_pass_wins(tmp_path: Path) -> None:
    node, ruby, static = passing("node", ("node",), ("node",)), failing("ruby"), passing("static")
    order = [[(GroupMember("node"), node), (GroupMember("ruby"), ruby)],   # ruby required: fails
             [(GroupMember("node"), node), (GroupMember("static"), static)]]
    result = detect(ctx(tmp_path), order)
    assert result.buildpack_ids == ("node", "static")
    assert [c.passed for c in result.candidates] == [False, True]
    assert "ruby did not pass" in result.candidates[0].why
    assert node.calls == ["node"]  # detected once although it is in both groups


def test_optional_members_that_fail_are_dropped(tmp_path: Path) -> None:
    order = [[(GroupMember("node", optional=True), failing("node")), (GroupMember("ruby"), passing("ruby"))]]
    result = detect(ctx(tmp_path), order)
    assert result.buildpack_ids == ("ruby",)


def test_a_requirement_must_be_provided_by_the_same_or_an_earlier_member(tmp_path: Path) -> None:
    jdk = passing("jdk", provides=("jdk",), requires=("jdk",))
    maven = passing("maven", requires=("jdk",))
    assert detect(ctx(tmp_path), [[(GroupMember("jdk"), jdk), (GroupMember("maven"), maven)]]).buildpack_ids == \
        ("jdk", "maven")
    backwards = detect(ctx(tmp_path), [[(GroupMember("maven"), maven), (GroupMember("jdk"), jdk)]])
    assert not backwards.passed
    assert "maven requires 'jdk', which no buildpack before it provides" in backwards.candidates[0].why


def test_the_plan_gives_each_provider_every_requirement_on_it_in_group_order(tmp_path: Path) -> None:
    node = passing("node", provides=("node",), requires=("node",))
    ruby = Scripted("ruby", Detection("ruby", True, (), (), (Require("node", {"build": "true", "by": "ruby"}),)))
    result = detect(ctx(tmp_path), [[(GroupMember("node"), node), (GroupMember("ruby"), ruby)]])
    plan = result.group[0].plan
    assert [e.metadata["by"] for e in plan.entries] == ["node", "ruby"]
    assert plan.metadata("node") == {"by": "node", "build": "true"}  # first requirer wins per key
    assert result.group[1].plan.entries == ()


def test_an_optional_member_whose_provides_nobody_requires_is_dropped(tmp_path: Path) -> None:
    order = [[(GroupMember("extra", optional=True), passing("extra", provides=("thing",))),
              (GroupMember("app"), passing("app"))]]
    assert detect(ctx(tmp_path), order).buildpack_ids == ("app",)
    required = detect(ctx(tmp_path), [[(GroupMember("extra"), passing("extra", provides=("thing",)))]])
    assert not required.passed and "provides 'thing'" in required.candidates[0].why


def test_a_malformed_file_fails_that_buildpack_but_other_groups_still_run(tmp_path: Path) -> None:
    broken = Scripted("node", UsageError("package.json is not valid JSON: line 3 column 5: Expecting ','"))
    python = passing("python")
    result = detect(ctx(tmp_path), [[(GroupMember("node"), broken)], [(GroupMember("python"), python)]])
    assert result.buildpack_ids == ("python",)
    assert result.candidates[0].members[0][1].malformed == "package.json is not valid JSON: line 3 column 5: Expecting ','"


def test_no_group_passing_is_exit_2_when_a_file_was_malformed_else_exit_4(tmp_path: Path) -> None:
    broken = Scripted("node", UsageError("package.json is not valid JSON: line 3 column 5: Expecting ','"))
    with pytest.raises(UsageError, match=r"node: package.json is not valid JSON: line 3 column 5") as exc:
        require(detect(ctx(tmp_path), [[(GroupMember("node"), broken)], [(GroupMember("ruby"), failing("ruby"))]]))
    assert exc.value.exit_code == 2
    with pytest.raises(DetectionError, match=r"node: node found nothing.*ruby: ruby found nothing") as nothing:
        require(detect(ctx(tmp_path), [[(GroupMember("node"), failing("node"))], [(GroupMember("ruby"), failing("ruby"))]]))
    assert nothing.value.exit_code == 4


def test_the_builtin_node_detector_reports_a_broken_package_json_as_malformed(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text('{\n  "name": "x",\n  "scripts": {"start": "node a.js",}\n}\n')
    (tmp_path / "requirements.txt").write_text("flask\n")
    node = BuiltinBuildpack("nodejs", "detectors.nodejs:NodeDetector", "buildpacks.nodejs:NodeBuildpack", {})
    result = detect(ctx(tmp_path), [[(GroupMember("nodejs"), node)]])
    detection = result.candidates[0].members[0][1]
    assert not detection.passed
    assert detection.malformed is not None and "package.json" in detection.malformed and "line 3" in detection.malformed
    json.dumps(detection.reasons)  # plain strings, printable by `dockless detect --json`
