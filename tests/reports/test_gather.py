"""build_report: the SFR counts per exhibit and in total, item lists, findings, provenance."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from vigil.audit import case_scope, head
from vigil.cases.counting import case_summary
from vigil.demo.evidence import DemoLayout
from vigil.reports import build_report
from vigil.scan.pipeline import ScanOptions, run_scan
from vigil.store.engine import Store
from vigil.store.schema import case

CASE = "OP-DEMO"

# The demo lists six pictures labelled A, B, C, B, C, not indecent (seeds 0–5).
# Evidence: copies of 0, 1, 2 live; 3 renamed notes.txt (live); 4 twice altered
# (resized, recompressed: PDQ only); 5 mirrored (PDQ only); 0 and 1 again inside
# a zip inside a zip. So A = {0 live, 0 archive}, B = {1 live, 3 live, 1 archive},
# C = {2 live exact, 4' live PDQ, 4'' live PDQ}, not indecent = {5' live PDQ}.
EXPECTED = {
    "Category A": dict(unique=1, total=2, live=1, archive=1, exact=2, perceptual=0),
    "Category B": dict(unique=2, total=3, live=2, archive=1, exact=3, perceptual=0),
    "Category C": dict(unique=3, total=3, live=3, archive=0, exact=1, perceptual=2),
    "Not indecent": dict(unique=1, total=1, live=1, archive=0, exact=0, perceptual=1),
}


def _flat(detail: Any) -> dict[str, int]:
    return {
        "unique": detail.images.unique,
        "total": detail.images.instances,
        "live": detail.by_location.get("live", 0),
        "archive": detail.by_location.get("archive", 0),
        "exact": detail.exact,
        "perceptual": detail.perceptual,
    }


def test_sfr_counts_of_the_demo_case(demo_case: Store) -> None:
    with demo_case.connect() as conn:
        report = build_report(conn, CASE)
    got = {label: _flat(d) for label, d in report.summary.categories.items()}
    assert got == EXPECTED
    assert all(d.videos.instances == 0 for d in report.summary.categories.values())
    assert report.category_order[:3] == ["Category A", "Category B", "Category C"]
    assert "Not indecent" in report.category_order
    [exhibit] = report.exhibits
    assert {k: _flat(d) for k, d in exhibit.summary.categories.items()} == EXPECTED
    assert len(report.hits) == 9 and len(report.unknown) == 8
    assert {h.basis for h in report.hits} == {"exact", "perceptual"}
    pdq = [h for h in report.hits if h.basis == "perceptual"]
    assert all(m.algorithm == "pdq" and 0 < m.distance <= 31 for h in pdq for m in h.matches)
    renamed = next(h for h in report.hits if h.name == "notes.txt")
    assert renamed.category == "Category B" and renamed.matches[0].algorithm == "sha256"
    assert {e.status for e in report.errors} >= {"error", "encrypted"}


def test_counts_agree_with_case_show(demo_case: Store) -> None:
    summary = case_summary(demo_case, CASE)
    with demo_case.connect() as conn:
        report = build_report(conn, CASE)
    assert report.summary.exact_total == summary.exact_total == 6
    assert report.summary.perceptual_total == summary.perceptual_total == 3
    assert report.summary.unknown_images == summary.unknown_images == 8
    total = sum(d.total.instances for d in report.summary.categories.values())
    assert total == summary.exact_total + summary.perceptual_total


def test_each_exhibit_counts_only_its_own_items(demo_case: Store, demo: DemoLayout) -> None:
    pictures = demo.evidence / "Users/demo/Pictures"
    downloads = demo.evidence / "Users/demo/Downloads"
    run_scan(demo_case, [pictures, downloads], ScanOptions(case="two", workers=1))
    with demo_case.connect() as conn:
        report = build_report(conn, "two")
    first, second = report.exhibits
    assert (first.ordinal, second.ordinal) == (1, 2)
    assert first.summary.categories["Category A"].by_location == {"live": 1}
    assert second.summary.categories["Category A"].by_location == {"archive": 1}
    assert "Category C" not in second.summary.categories
    for label, whole in report.summary.categories.items():
        parts = [
            e.summary.categories[label] for e in report.exhibits if label in e.summary.categories
        ]
        assert sum(p.total.instances for p in parts) == whole.total.instances
    assert {h.exhibit for h in report.hits} == {"Exhibit 1", "Exhibit 2"}


def test_findings_evidence_info_and_provenance(
    demo_case: Store, demo: DemoLayout, add_extras: Callable[[Store], None]
) -> None:
    add_extras(demo_case)
    with demo_case.connect() as conn:
        report = build_report(conn, CASE, "DS Report")
        case_id = conn.execute(sa.select(case.c.id).where(case.c.name == CASE)).scalar_one()
        assert (report.audit.seq, report.audit.head) == head(conn, case_scope(case_id))
    [found] = [f for f in report.findings if f.rule_id == "test.fixture-rule"]
    assert found.rule_id == "test.fixture-rule" and found.exhibit == "Exhibit 1"
    assert found.locators and found.locators[0].endswith("private.zip")
    info = report.exhibits[0].info
    assert info and info["format"] == "ewf" and info["md5_verified"] is True
    assert info["acquisition"] == {"examiner_name": "DC Test", "case_number": "OP-1"}
    [run] = report.runs
    assert run.examiner == "DC Test" and run.status == "complete" and run.finished_at
    assert run.versions["vigil"] and "pillow" in {k.lower() for k in run.versions}
    assert run.thresholds["pdq_match_distance_bits"] == 31
    assert run.thresholds["pdq_min_quality"] == 50
    graded = next(h for h in report.hashsets if h.name == "demo-vics")
    assert graded.source_sha256 == hashlib.sha256(Path(demo.vics).read_bytes()).hexdigest()
    assert graded.entry_count == 6 and not graded.known_good
    assert report.generated_by == "DS Report"
    # case.create and scan.start … scan.finish were logged by the scan
    assert report.audit.seq >= 3 and report.audit.intact


def test_unfinished_scan_is_noted(demo_case: Store) -> None:
    from vigil.store.schema import scan_run

    with demo_case.begin() as conn:
        conn.execute(scan_run.update().values(status="running", finished_at=None))
    with demo_case.connect() as conn:
        report = build_report(conn, CASE)
    assert any("unfinished" in note for note in report.notes)


def test_a_case_without_scans_still_reports(store: Store) -> None:
    from vigil.cases.case import get_or_create_case
    from vigil.reports.html import render_html

    with store.begin() as conn:
        get_or_create_case(conn, "empty", "us", "tester")
    with store.connect() as conn:
        report = build_report(conn, "empty")
    assert report.exhibits == [] and report.hits == [] and report.timeline == []
    assert report.scheme == "us" and report.audit.seq == 1  # case.create
    html = render_html(report)
    assert "No exhibits have been scanned." in html


def test_deleted_carved_and_video_hits_are_counted_apart(demo_case: Store) -> None:
    import io
    import json

    from vigil.reports.vics_case import write_vics_case
    from vigil.store.schema import item

    with demo_case.begin() as conn:
        # As disk-image sources will record them: a deleted file, a carved one, a video.
        for name, values in (
            ("IMG_1001.jpg", {"location": "deleted"}),
            ("IMG_1002.jpg", {"location": "carved"}),
            ("notes.txt", {"family": "video"}),
        ):
            conn.execute(item.update().where(item.c.name == name).values(**values))
    with demo_case.connect() as conn:
        report = build_report(conn, CASE)
    b, c = report.summary.categories["Category B"], report.summary.categories["Category C"]
    assert b.by_location == {"deleted": 1, "live": 1, "archive": 1}
    assert c.by_location == {"carved": 1, "live": 2}
    assert (b.images.instances, b.images.unique, b.videos.instances, b.videos.unique) == (
        2,
        1,
        1,
        1,
    )
    assert b.total.unique == 2
    out = io.StringIO()
    write_vics_case(report, out)
    files = [f for m in json.loads(out.getvalue())["value"][0]["Media"] for f in m["MediaFiles"]]
    flags = {f["FileName"]: (f["Deleted"], f["Unallocated"]) for f in files}
    assert flags["IMG_1001.jpg"] == (True, False)
    assert flags["IMG_1002.jpg"] == (False, True)
    assert flags["IMG_1000.jpg"] == (False, False)
