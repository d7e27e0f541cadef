"""Grades made in review (the web app's local graded set) count in the report as ``graded``."""

from __future__ import annotations

import io
import json

import sqlalchemy as sa

from vigil.reports import build_report
from vigil.reports.vics_case import write_vics_case
from vigil.store.engine import Store
from vigil.store.schema import item
from vigil.web import graded_set

CASE = "OP-DEMO"


def test_review_grade_counts_as_graded_and_names_its_set(demo_case: Store) -> None:
    with demo_case.begin() as conn:
        rows = conn.execute(
            sa.select(item).where(item.c.name.in_(("camera_100.jpg", "camera_101.jpg")))
        ).all()
        set_id = graded_set.ensure_set(conn, "force-graded", "uk")
        graded_set.apply(conn, set_id, "force-graded", list(rows), "A")
    with demo_case.connect() as conn:
        report = build_report(conn, CASE)
    a = report.summary.categories["Category A"]
    assert (a.exact, a.perceptual, a.graded) == (2, 0, 2)
    assert a.images.instances == 4 and a.images.unique == 3
    graded = [h for h in report.hits if h.basis == "graded"]
    assert sorted(h.name for h in graded) == ["camera_100.jpg", "camera_101.jpg"]
    assert all(h.matches[0].hashset == "force-graded" for h in graded)
    assert len(report.unknown) == 6  # 8 awaiting grading before
    [later] = [s for s in report.hashsets if s.name == "force-graded"]
    # Recorded with the run's results as of the grade (its revision counts the grading).
    assert later.run_id is not None and later.entry_count == 2 and later.version == "live"
    assert later.set_revision == 1
    out = io.StringIO()
    write_vics_case(report, out)
    media = json.loads(out.getvalue())["value"][0]["Media"]
    by_name = {f["FileName"]: m for m in media for f in m["MediaFiles"]}
    assert by_name["camera_100.jpg"]["Category"] == 1
    assert by_name["camera_100.jpg"]["IsPrecategorized"] is False  # graded here, not prior
    assert by_name["IMG_1000.jpg"]["IsPrecategorized"] is True
