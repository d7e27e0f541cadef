"""The CSV report: one row per match of every hit, per unknown item and per item with a problem.

For spreadsheets and case-management systems. Text that comes from seized
media (names, paths, reasons) is never let run as a spreadsheet formula.
"""

from __future__ import annotations

import csv
from datetime import datetime
from typing import Any, TextIO

from vigil.hashsets.formats.csvlist import FORMULA_START
from vigil.reports.model import ItemRow, Report

COLUMNS = (
    "case", "exhibit", "kind", "locator", "location", "family", "file_type", "size_bytes",
    "modified_utc", "md5", "sha1", "sha256", "pdq", "pdq_quality", "category", "basis",
    "hashset", "set_category", "algorithm", "distance_bits", "status", "reason",
    "result_revision", "hashset_version", "hashset_revision",
)  # fmt: skip
"""Header of the CSV report; ``kind`` is hit, unknown or problem.

``result_revision`` is the revision of the case's results every row comes
from; ``hashset_version``/``hashset_revision`` are those of the set a match
was made against, as they were when it was made."""


def write_csv_report(report: Report, out: TextIO) -> int:
    """Write the rows (see the module doc) to ``out``; returns the number of data rows."""
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    count = 0
    for kind, rows in (
        ("hit", report.hits),
        ("unknown", report.unknown),
        ("problem", report.errors),
    ):
        for row in rows:
            for values in _rows(report.case, kind, row, report.revision.number):
                writer.writerow([_cell(v) for v in values])
                count += 1
    return count


def _rows(case: str, kind: str, row: ItemRow, revision: int) -> list[list[Any]]:
    base = [
        case, row.exhibit, kind, row.locator, row.location, row.family, row.file_type, row.size,
        row.mtime, row.md5, row.sha1, row.sha256, row.pdq, row.pdq_quality, row.category, row.basis,
    ]  # fmt: skip
    tail = [row.status, row.reason, revision]
    if not row.matches:
        return [[*base, None, None, None, None, *tail, None, None]]
    return [
        [*base, m.hashset, m.set_category, m.algorithm, m.distance, *tail, m.set_version,
         m.set_revision]
        for m in row.matches
    ]  # fmt: skip


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    text = str(value)
    if text.startswith(FORMULA_START):
        # Names come from seized media: never let one run as a spreadsheet formula.
        return "'" + text
    return text
