"""A job's batch from a JSON Lines file."""

from __future__ import annotations

import pytest

from modelforge.web.batch_file import BatchFileError, parse_jsonl


def test_one_object_per_line_blank_lines_skipped_bom_tolerated() -> None:
    content = '\ufeff{"X": [[1, 2]]}\n\n  \n{"X": [[3, 4]]}\r\n'.encode()
    assert parse_jsonl(content, max_items=10) == [{"X": [[1, 2]]}, {"X": [[3, 4]]}]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"X": 1}\n{oops\n', "line 2 is not JSON"),
        (b'{"X": 1}\n[1, 2]\n', "line 2 is not an object"),
        (b"\n\n", "holds no input"),
        (b"\xff\xfe\x00", "not UTF-8"),
        (b'{"a": 1}\n{"a": 2}\n{"a": 3}\n', "at most 2 inputs"),
    ],
)
def test_bad_files_name_the_problem(content: bytes, message: str) -> None:
    with pytest.raises(BatchFileError, match=message):
        parse_jsonl(content, max_items=2)
