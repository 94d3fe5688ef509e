"""CNB env-file semantics (Buildpack API 0.10, Environment Variable Modification Rules)."""

from __future__ import annotations

from pathlib import Path

from builder.lifecycle.env import apply_all, apply_env, layer_dirs_env, prepend_path, read_env_dir


def test_override_default_prepend_append_and_delim() -> None:
    base = {"A": "1", "B": "2", "P": "/usr/bin", "Q": "x"}
    changes = {"A": "one", "B.default": "ignored", "C.default": "set", "P.prepend": "/l/bin", "P.delim": ":",
               "Q.append": "y", "R.override": "r"}
    assert apply_env(base, changes) == {"A": "one", "B": "2", "C": "set", "P": "/l/bin:/usr/bin", "Q": "xy",
                                        "R": "r"}
    assert base["A"] == "1"  # not modified


def test_prepend_to_an_unset_variable_has_no_delimiter() -> None:
    assert apply_env({}, prepend_path("LD_LIBRARY_PATH", "/a/lib", "/b/lib")) == {"LD_LIBRARY_PATH": "/a/lib:/b/lib"}


def test_layer_bin_and_lib_go_in_front_and_lists_are_deduplicated(tmp_path: Path) -> None:
    (tmp_path / "bin").mkdir()
    (tmp_path / "lib").mkdir()
    changes = layer_dirs_env(tmp_path, "/layers/bp/tool")
    env = apply_all({"PATH": "/usr/bin:/bin"}, [changes, prepend_path("PATH", "/layers/bp/tool/bin")])
    assert env == {"PATH": "/layers/bp/tool/bin:/usr/bin:/bin", "LD_LIBRARY_PATH": "/layers/bp/tool/lib"}
    assert layer_dirs_env(tmp_path / "missing", "/x") == {}


def test_env_directories_are_read_as_file_name_to_content(tmp_path: Path) -> None:
    (tmp_path / "JAVA_OPTS.append").write_text(" -Xss1m")
    (tmp_path / "JAVA_OPTS.delim").write_text("")
    (tmp_path / ".hidden").write_text("no")
    assert read_env_dir(tmp_path) == {"JAVA_OPTS.append": " -Xss1m", "JAVA_OPTS.delim": ""}
    assert read_env_dir(tmp_path / "nope") == {}
