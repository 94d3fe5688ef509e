"""The CNB TOML files: written so tomllib reads back exactly what was meant; malformed ones named."""

from __future__ import annotations

import datetime
import tomllib

import pytest

from builder.lifecycle.cnb_toml import layer_types, read_plan, read_processes, stringify, write_toml


def test_the_build_plan_for_bin_build_round_trips_odd_strings() -> None:
    entries = [{"name": "node", "metadata": {"version": 'say "hi"\n\ttab \x7f ü \x01', "weird key.x": "1"}},
               {"name": "jdk", "metadata": {}}]
    assert tomllib.loads(write_toml({"entries": entries})) == {"entries": entries}


def test_restored_metadata_round_trips_nested_values() -> None:
    metadata = {"lock": "v1", "n": 3, "ratio": 0.5, "on": True, "tools": ["a", {"b": 1}],
                "extra": {"deep": {"x": "y"}}, "when": datetime.datetime(2026, 1, 2, 3, 4, 5)}
    assert tomllib.loads(write_toml({"metadata": metadata})) == {"metadata": metadata}


def test_stringify_keeps_strings_and_json_encodes_the_rest() -> None:
    assert stringify({"a": "x", "b": 1, "c": {"z": 1, "y": [True]}}) == {"a": "x", "b": "1",
                                                                         "c": '{"y": [true], "z": 1}'}


def test_top_level_plan_wins_over_or_alternatives() -> None:
    provides, requires, ignored = read_plan({"provides": [{"name": "a"}], "or": [{"provides": [{"name": "b"}]}]})
    assert (provides, requires, ignored) == (("a",), (), 1)


@pytest.mark.parametrize(("data", "problem"), [
    ({"types": {"launch": "yes"}}, "[types] launch must be true or false"),
    ({"types": [1]}, "types must be a table"),
    ({"metadata": "x"}, "metadata must be a table"),
])  # fmt: skip
def test_malformed_layer_tomls_are_named(data: dict[str, object], problem: str) -> None:
    with pytest.raises(ValueError, match=problem.replace("[", r"\[").replace("]", r"\]")):
        layer_types(data)


@pytest.mark.parametrize(("process", "problem"), [
    ({"type": "web server", "command": ["x"]}, "must be letters, digits"),
    ({"type": "web", "command": []}, "command must be a non-empty list"),
    ({"type": "web", "command": ["x"], "args": "a b"}, "args must be a list of strings"),
])  # fmt: skip
def test_malformed_processes_are_named(process: dict[str, object], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        read_processes({"processes": [process]}, (0, 10))
