"""Exports never hand a spreadsheet a live formula (CSV injection)."""

import csv
import io
import re
from pathlib import Path

import pytest

from alliance_portal.spreadsheets import SafeCsvWriter, spreadsheet_cell

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("prefix", ["=", "+", "-", "@", "\t", "\r"])
def test_cells_a_spreadsheet_would_evaluate_are_quoted(prefix):
    assert spreadsheet_cell(f"{prefix}1+1") == f"'{prefix}1+1"


@pytest.mark.parametrize("value", ["Antwerp Rough NV", "", "a=b", "O'Neil & Sons", 42, -3, None])
def test_ordinary_values_are_left_alone(value):
    assert spreadsheet_cell(value) == value


def test_the_writer_quotes_every_cell_of_every_row():
    out = io.StringIO()
    writer = SafeCsvWriter(out)
    writer.writerow(["=1+1", "plain"])
    writer.writerows([["@SUM(A1)", "-2"], ["\t=cmd", 7]])
    assert list(csv.reader(io.StringIO(out.getvalue()))) == [
        ["'=1+1", "plain"],
        ["'@SUM(A1)", "'-2"],
        ["'\t=cmd", "7"],
    ]


def test_every_export_writes_through_the_safe_writer():
    """A new export that calls csv.writer directly would skip the neutralising."""
    offenders = [
        str(path.relative_to(ROOT))
        for app in ("alliance_portal", "members", "licensing", "compliance")
        for path in (ROOT / app).rglob("*.py")
        if path.name != "spreadsheets.py"
        and re.search(r"csv\.(writer|DictWriter)\(", path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
