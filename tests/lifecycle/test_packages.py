"""PackageRequests: what buildpacks ask of the Debian stack, and who may choose the suite."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pytest

from builder.errors import BuildError
from builder.lifecycle.packages import PackageRequests

OFFERS = {"ruby3.1": {"bookworm": "3.1.2-7"}, "ruby3.3": {"trixie": "3.3.8-2", "forky": "3.3.8-2"}}


def offered(name: str, suites: Sequence[str]) -> Mapping[str, str]:
    return {s: v for s, v in OFFERS.get(name, {}).items() if s in suites}


def requests(**kw: object) -> PackageRequests:
    return PackageRequests("trixie", ("trixie", "bookworm", "forky"), offered, **kw)  # type: ignore[arg-type]


def test_names_are_kept_sorted_and_unique_per_phase() -> None:
    r = requests()
    r.add(["zlib1g-dev", "jq"], build=True, launch=False)
    r.add(["jq", "libyaml-0-2"], build=True, launch=True)
    assert r.build == ("jq", "libyaml-0-2", "zlib1g-dev") and r.launch == ("jq", "libyaml-0-2")
    with pytest.raises(BuildError, match="invalid names: Bad_Name"):
        r.add(["Bad_Name"], build=True, launch=False)


def test_offers_come_in_stack_order_with_the_current_suite_first() -> None:
    r = requests()
    assert list(r.offered("ruby3.3")) == ["trixie", "forky"]
    assert r.offered("ruby3.1") == {"bookworm": "3.1.2-7"}
    assert r.offered("no-such") == {}
    assert PackageRequests().offered("ruby3.3") == {}  # no stack to ask


def test_a_buildpack_may_move_the_build_to_another_suite_once() -> None:
    r = requests()
    r.use_suite("bookworm", by="buildpack ruby")
    assert r.suite == "bookworm"
    r.use_suite("bookworm", by="buildpack nodejs")  # agreeing is fine
    with pytest.raises(BuildError, match="buildpack java needs Debian trixie, but buildpack ruby already chose bookworm"):
        r.use_suite("trixie", by="buildpack java")
    with pytest.raises(BuildError, match="not made from"):
        requests().use_suite("buster")


def test_a_given_run_image_pins_the_suite() -> None:
    r = requests(fixed_run_image="registry.example/stack:1")
    r.use_suite("trixie", by="buildpack ruby")  # the current one: nothing moves
    with pytest.raises(BuildError, match=r"the run image is fixed \(registry.example/stack:1\)") as exc:
        r.use_suite("bookworm", by="buildpack ruby")
    assert "stack create --suite bookworm" in exc.value.hint
