"""A checked stack is reused for an hour without asking the mirror again."""

from __future__ import annotations

import json
from pathlib import Path

from builder.stack.stackcache import Cached, recently_checked, remember_check


def make_stack(base: Path, key: str) -> Cached:
    (base / key).mkdir(parents=True)
    (base / key / "stack.json").write_text(json.dumps({"key": key, "suite": "trixie", "release_date": "2026-11-21"}))
    return Cached(base / key, key, "trixie", "2026-11-21")


def test_a_recent_check_for_the_same_request_is_reused(tmp_path: Path) -> None:
    cached = make_stack(tmp_path, "abc")
    remember_check(tmp_path, "request-1", cached, now=1000.0)
    assert recently_checked(tmp_path, "request-1", max_age=3600, now=1000.0 + 3599) == cached
    assert recently_checked(tmp_path, "request-1", max_age=3600, now=1000.0 + 3601) is None  # too old
    assert recently_checked(tmp_path, "request-2", max_age=3600, now=1001.0) is None         # other packages
    assert recently_checked(tmp_path, "request-1", max_age=3600, now=900.0) is None          # clock went back


def test_a_removed_stack_is_not_trusted(tmp_path: Path) -> None:
    cached = make_stack(tmp_path, "abc")
    remember_check(tmp_path, "r", cached, now=10.0)
    (cached.path / "stack.json").unlink()
    assert recently_checked(tmp_path, "r", max_age=3600, now=11.0) is None
    (tmp_path / ".last-check.json").write_text("{not json")
    assert recently_checked(tmp_path, "r", max_age=3600, now=11.0) is None
