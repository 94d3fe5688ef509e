"""Procfile parsing: Heroku's rules, and the files Windows editors write."""

from __future__ import annotations

from pathlib import Path

import pytest

from builder.buildpack.procfile import parse_procfile, read_procfile
from builder.errors import UsageError


def test_types_in_file_order_comments_and_blanks_skipped() -> None:
    text = "# processes\n\nweb: node server.js\n  worker :  node worker.js --queue=high  \nclock: node clock.js\n"
    assert list(parse_procfile(text).items()) == [
        ("web", "node server.js"), ("worker", "node worker.js --queue=high"), ("clock", "node clock.js")]


def test_a_type_written_twice_is_a_usage_error_naming_both_lines() -> None:
    with pytest.raises(UsageError) as info:
        parse_procfile("# two webs\nweb: a\nworker: w\n\nweb: b\n")
    assert info.value.exit_code == 2
    assert "'web' twice (lines 2 and 5)" in info.value.message and "worker:" in (info.value.hint or "")


def test_the_same_type_in_a_comment_or_a_skipped_line_is_no_duplicate() -> None:
    assert parse_procfile("web: a\n# web: old\nweb:\n") == {"web": "a"}


def test_lines_that_do_not_parse_are_skipped() -> None:
    text = "web node server.js\nweb.1: x\n: nothing\nempty:\nrelease-phase_2: node migrate.js\n"
    assert parse_procfile(text) == {"release-phase_2": "node migrate.js"}


def test_the_command_keeps_colons_and_quotes() -> None:
    assert parse_procfile("web: node app.js --url http://x:1 --name 'a: b'") == {
        "web": "node app.js --url http://x:1 --name 'a: b'"}


def test_crlf_cr_and_a_byte_order_mark(tmp_path: Path) -> None:
    (tmp_path / "Procfile").write_bytes(b"\xef\xbb\xbfweb: node server.js\r\nworker: node w.js\r\rclock: node c.js")
    assert read_procfile(tmp_path) == {"web": "node server.js", "worker": "node w.js", "clock": "node c.js"}


def test_bytes_that_are_not_utf8_do_not_fail_the_build(tmp_path: Path) -> None:
    (tmp_path / "Procfile").write_bytes(b"web: node caf\xe9.js\n")
    assert read_procfile(tmp_path) == {"web": "node caf\ufffd.js"}


def test_no_procfile_or_a_directory_is_no_processes(tmp_path: Path) -> None:
    assert read_procfile(tmp_path) == {}
    (tmp_path / "Procfile").mkdir()
    assert read_procfile(tmp_path) == {}


def test_detectors_read_the_same_procfile() -> None:
    from detectors import _files

    assert _files.read_procfile is read_procfile


def test_the_lines_that_were_skipped_can_be_named() -> None:
    from builder.buildpack.procfile import unparsed_lines

    text = "# comment\n\nweb ./server.sh\nworker: x\nempty:\n"
    assert unparsed_lines(text) == [(3, "web ./server.sh"), (5, "empty:")]
