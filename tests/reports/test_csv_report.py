"""The CSV report: one row per match of each hit, per unknown and per problem; no formulas."""

from __future__ import annotations

import csv
import io
from collections import Counter
from typing import Any

from vigil.reports import Report
from vigil.reports.csv_report import COLUMNS, write_csv_report


def _rows(report: Report) -> list[dict[str, str]]:
    out = io.StringIO(newline="")
    count = write_csv_report(report, out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue(), newline="")))
    assert len(rows) == count
    return rows


def test_rows_by_kind(rendered: tuple[Report, Any]) -> None:
    report = rendered[0]
    rows = _rows(report)
    assert list(rows[0]) == list(COLUMNS)
    kinds = Counter(r["kind"] for r in rows)
    assert kinds["hit"] == sum(len(h.matches) for h in report.hits) >= 9
    assert kinds["unknown"] == 8
    assert kinds["problem"] == len(report.errors)
    pdq = [r for r in rows if r["algorithm"] == "pdq"]
    assert pdq and all(0 < int(r["distance_bits"]) <= 31 for r in pdq)
    a_hits = {r["md5"] for r in rows if r["category"] == "Category A"}
    assert len(a_hits) == 1  # two instances of one picture


def test_names_never_run_as_formulas(rendered: tuple[Report, Any]) -> None:
    report = rendered[0]
    original = report.unknown[0].locator
    try:
        report.unknown[0].locator = '=HYPERLINK("http://x")'
        rows = _rows(report)
    finally:
        report.unknown[0].locator = original
    assert any(r["locator"] == '\'=HYPERLINK("http://x")' for r in rows)
