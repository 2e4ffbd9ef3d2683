"""CSV cells that spreadsheets cannot run as formulas."""

from __future__ import annotations

import csv
import io

import pytest

from modelforge.predictions.csv_cells import csv_line, safe_cell


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+SUM(A1)", "'+SUM(A1)"),
        ("-2+3", "'-2+3"),
        ("@cmd", "'@cmd"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("plain", "plain"),
        ('{"x":[[-1]]}', '{"x":[[-1]]}'),
        ("a=b", "a=b"),
        (None, ""),
        (1.5, "1.5"),
        ("", ""),
    ],
)
def test_safe_cell(value: object, expected: str) -> None:
    assert safe_cell(value) == expected


def test_csv_line_quotes_and_neutralises_each_cell() -> None:
    line = csv_line(['=HYPERLINK("http://x")', "two\nlines", 'say "hi"', 3])

    assert line.endswith("\r\n")
    assert next(csv.reader(io.StringIO(line))) == [
        '\'=HYPERLINK("http://x")',
        "two\nlines",
        'say "hi"',
        "3",
    ]
