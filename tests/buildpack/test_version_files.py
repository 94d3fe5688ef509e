"""first_value_line: the one value of a version file (.nvmrc, .python-version, .ruby-version) as editors write it."""

from __future__ import annotations

from pathlib import Path

import pytest

from detectors._files import first_value_line


@pytest.mark.parametrize("raw", [
    b"3.11\n",
    b"\xef\xbb\xbf3.11\n",                  # a UTF-8 BOM (Notepad, PowerShell's Out-File -Encoding utf8)
    b"\xef\xbb\xbf3.11\r\n",                # BOM and CRLF
    b"# pinned for prod\r\n\r\n3.11  \r\n",  # a comment, blank lines, trailing spaces, CRLF
])
def test_the_value_has_no_bom_comment_or_line_end(tmp_path: Path, raw: bytes) -> None:
    (tmp_path / ".python-version").write_bytes(raw)
    assert first_value_line(tmp_path / ".python-version") == "3.11"


def test_an_absent_or_empty_file_has_no_value(tmp_path: Path) -> None:
    assert first_value_line(tmp_path / ".nvmrc") is None
    (tmp_path / ".nvmrc").write_bytes(b"\xef\xbb\xbf\n# nothing\n")
    assert first_value_line(tmp_path / ".nvmrc") is None
