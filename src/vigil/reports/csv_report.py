"""The CSV report: one row per match of every hit, per item graded in review but in no set
(uncategorised), per item awaiting grading and per item with a problem.

Every row of an item graded in review carries its grade in full: the state
(single, agreed, resolved or disputed), who graded it and when, the second
grader and the resolution.

For spreadsheets and case-management systems. Text that comes from seized
media (names, paths, reasons) is never let run as a spreadsheet formula.
"""

from __future__ import annotations

import csv
from typing import Any, TextIO

from vigil.cases.grades import GradeRecord
from vigil.csv_safety import safe_cell
from vigil.reports.model import ItemRow, Report

COLUMNS = (
    "case", "exhibit", "kind", "locator", "location", "family", "file_type", "size_bytes",
    "modified_utc", "md5", "sha1", "sha256", "pdq", "pdq_quality", "category", "basis",
    "hashset", "set_category", "algorithm", "distance_bits", "status", "reason",
    "grade_state", "grade_category", "first_category", "graded_by", "graded_at",
    "second_category", "second_by", "second_at", "final_category", "resolved_by", "resolved_at",
    "result_revision", "hashset_version", "hashset_revision",
    "exif_taken", "camera_make", "camera_model", "exif_software", "gps_present",
    "video_at_s", "video_segments", "new_material",
)  # fmt: skip
"""Header of the CSV report; ``kind`` is hit, graded, unknown or problem.

``result_revision`` is the revision of the case's results every row comes
from; ``hashset_version``/``hashset_revision`` are those of the set a match
was made against, as they were when it was made. The ``exif_*``/``camera_*``
columns are what the picture's EXIF said (``exif_taken`` is camera time);
``gps_present`` is yes/no, the coordinates stay in the app. For a video's
match, ``video_at_s`` is the time of the frame it was found at and
``video_segments`` the matched time ranges (``start-end`` seconds, ``;`` apart).
``new_material`` is yes when the item is in no hash set and was seen in no
earlier case of the store."""


def write_csv_report(report: Report, out: TextIO) -> int:
    """Write the rows (see the module doc) to ``out``; returns the number of data rows."""
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    count = 0
    hit_ids = {row.id for row in report.hits}
    for kind, rows in (
        ("hit", report.hits),
        ("graded", [row for row in report.graded if row.id not in hit_ids]),
        ("unknown", report.unknown),
        ("problem", report.errors),
    ):
        for row in rows:
            for values in _rows(report.case, kind, row, report.revision.number):
                writer.writerow([safe_cell(v) for v in values])
                count += 1
    return count


def _rows(case: str, kind: str, row: ItemRow, revision: int) -> list[list[Any]]:
    base = [
        case, row.exhibit, kind, row.locator, row.location, row.family, row.file_type, row.size,
        row.mtime, row.md5, row.sha1, row.sha256, row.pdq, row.pdq_quality, row.category, row.basis,
    ]  # fmt: skip
    tail = [row.status, row.reason, *_grade(row.grade), revision]
    exif = _exif(row)
    new = "yes" if row.new_material else "no"
    if not row.matches:
        return [[*base, None, None, None, None, *tail, None, None, *exif, None, None, new]]
    return [
        [*base, m.hashset, m.set_category, m.algorithm, m.distance, *tail, m.set_version,
         m.set_revision, *exif, m.frame_s, _segments(m.segments), new]
        for m in row.matches
    ]  # fmt: skip


def _segments(segments: list[list[float]] | None) -> str | None:
    """A video match's time ranges as ``start-end`` seconds, ``;`` apart."""
    if not segments:
        return None
    return ";".join(f"{start:g}-{stop:g}" for start, stop in segments)


def _exif(row: ItemRow) -> list[Any]:
    if row.exif is None:
        return [None] * 5
    e = row.exif
    gps = "yes" if e.gps_present else "no"
    return [e.taken, e.camera_make, e.camera_model, e.software, gps]


def _grade(grade: GradeRecord | None) -> list[Any]:
    if grade is None:
        return [None] * 11
    return [
        grade.state, grade.category, grade.first_category, grade.graded_by, grade.graded_at,
        grade.second_category, grade.second_by, grade.second_at, grade.final_category,
        grade.resolved_by, grade.resolved_at,
    ]  # fmt: skip
