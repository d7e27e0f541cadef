"""build_report: the SFR counts per exhibit and in total, item lists, findings, provenance."""

from __future__ import annotations

import atexit
import functools
import hashlib
import json
import shutil
import socket
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import vigil
from vigil.accounts.users import User
from vigil.audit import case_scope, head
from vigil.cases.counting import case_summary
from vigil.demo.evidence import DemoLayout
from vigil.reports import build_report
from vigil.reports.model import ExifRow
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
    assert report.notes == [
        "A scan of this case is unfinished: the counts cover only what it has read so far."
    ]


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


# ---------------------------------------------------------------------------------------
# Every figure and row of one richer case, pinned value by value (issue 22: mutation
# testing of gather.py). The case is built once per process: two exhibits, one re-scanned
# (its first run superseded), a second graded set that disagrees with the demo set on one
# picture (a conflict), a rematch (revision 2), findings without an item, EXIF on one hit,
# a grade made in review, a hit also in a known-good set. Every test only reads it.
# ``make mutation`` forks one process per mutant from the process that built it, so the
# forks reuse it instead of scanning again.

TWO = "OP-TWO"
SECOND_SET = "second-opinion"


@dataclass(frozen=True)
class _Built:
    root: Path
    db: Path
    layout: DemoLayout


@functools.cache
def _built_case() -> _Built:
    from vigil.cases import rematch
    from vigil.cases.case import get_case
    from vigil.cases.exhibits import ExhibitRequest
    from vigil.demo.evidence import build_demo
    from vigil.hashsets import library
    from vigil.store.engine import open_store
    from vigil.store.schema import exhibit, finding, item
    from vigil.web import grading

    root = Path(tempfile.mkdtemp(prefix="vigil-gather-"))
    atexit.register(shutil.rmtree, root, True)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("VIGIL_HOME", str(root / "home"))
        mp.setenv("VIGIL_USER", "DC Setup")
        layout = build_demo(root / "demo")
        pictures = layout.evidence / "Users/demo/Pictures"
        downloads = layout.evidence / "Users/demo/Downloads"
        second = root / "second.csv"
        img_1001 = hashlib.md5((pictures / "IMG_1001.jpg").read_bytes()).hexdigest()
        camera_102 = hashlib.md5((pictures / "camera_102.jpg").read_bytes()).hexdigest()
        second.write_text(
            f"md5,category,name\n{img_1001},A,second-view.jpg\n{camera_102},A,only-here.jpg\n"
        )
        also_known = root / "also-known.txt"  # a hit that a known-good set holds too
        also_known.write_text(hashlib.md5((pictures / "IMG_1000.jpg").read_bytes()).hexdigest())
        db = root / "vigil.db"
        store = open_store(f"sqlite:///{db}")
        try:
            library.import_file(store, layout.vics, "demo-vics")
            library.import_file(store, layout.known_good, "demo-known-good", known_good=True)
            library.import_file(store, second, SECOND_SET)
            library.import_file(store, also_known, "also-known", known_good=True)
            request = ExhibitRequest(references=("JS/1", "JS/2"))
            options = ScanOptions(case=TWO, examiner="DC One", workers=1, exhibits=request)
            run_scan(store, [pictures, downloads], options)
            again = ScanOptions(
                case=TWO, examiner="DC Two", workers=1, exhibits=ExhibitRequest(rescan=True)
            )
            run_scan(store, [pictures], again)
            with store.begin() as conn:
                conn.execute(
                    exhibit.update()
                    .where(exhibit.c.reference == "JS/2")
                    .values(
                        description="Laptop, silver",
                        seized_at="Flat 2, 1 High St",
                        seized_when="2026-11-30T09:15",
                    )
                )
                ids = {
                    str(r.name): int(r.id)
                    for r in conn.execute(
                        sa.select(item.c.name, item.c.id).where(item.c.run_id == 2)
                    )
                }
                conn.execute(
                    item.update()
                    .where(item.c.id == ids["IMG_1002.jpg"])
                    .values(
                        exif_taken="2021-06-01T12:00:00",
                        camera_make="TestCam",
                        camera_model="T-1",
                        exif_software=None,
                        gps_present=True,
                    )
                )
                conn.execute(
                    item.update().where(item.c.id == ids["camera_100.jpg"]).values(mtime=None)
                )
                # The superseded run's copy says otherwise: never in the counted figures.
                conn.execute(
                    item.update()
                    .where(item.c.run_id == 1, item.c.name == "IMG_1002.jpg")
                    .values(exif_taken="2019-01-01T00:00:00", camera_make="OldCam")
                )
                for values in (
                    dict(item_id=None, locators="not a list", detail=None),
                    dict(
                        item_id=None,
                        locators=[42, '[{"type":"os","path":"/x/y.jpg"}]'],
                        detail={"n": 1},
                    ),
                    dict(item_id=ids["small.jpg"], locators={"a": 1}, detail=None),
                ):
                    conn.execute(
                        finding.insert().values(
                            run_id=2,
                            rule_id=f"test.rule-{len(values['locators'])}",
                            family="storage",
                            severity="low",
                            description="made by the test",
                            **values,
                        )
                    )
                case_row = get_case(conn, TWO)
                user = User(1, "DC Ann", "examiner", False, 0, None, datetime.now(UTC))
                grading.grade_items(
                    conn, case_row, user, [ids["camera_101.jpg"]], "B", "g1", "force-graded"
                )
            library.remove_set(store, SECOND_SET)  # revision 2: no conflict any more
            rematch.apply(store, TWO, "DC Rematch")
        finally:
            store.close()
    return _Built(root, db, layout)


@pytest.fixture(scope="module")
def two(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """A copy of the richer case's store (built once per process): each module, and each of
    mutmut's forks running side by side, reads its own copy."""
    from vigil.store.engine import open_store

    built = _built_case()
    copy = tmp_path_factory.mktemp("two") / built.db.name
    shutil.copyfile(built.db, copy)
    opened = open_store(f"sqlite:///{copy}")
    yield opened
    opened.close()


def _evidence_id(conn: sa.Connection, run_id: int, ordinal: int) -> int:
    from vigil.store.schema import evidence

    return int(
        conn.execute(
            sa.select(evidence.c.id).where(
                evidence.c.run_id == run_id, evidence.c.ordinal == ordinal
            )
        ).scalar_one()
    )


def _totals(summary: Any) -> dict[str, int]:
    return {label: d.total.instances for label, d in summary.categories.items()}


def test_a_rescanned_exhibit_counts_its_new_run_and_lists_the_old_one(two: Store) -> None:
    layout = _built_case().layout
    with two.connect() as conn:
        report = build_report(conn, TWO)
        js1, js2 = _evidence_id(conn, 2, 1), _evidence_id(conn, 1, 2)
    got = [
        (e.id, e.run_id, e.ordinal, e.label, e.path, e.kind, e.sha256, e.size, e.info)
        for e in report.exhibits
    ]
    assert got == [
        (
            js1,
            2,
            1,
            "JS/1",
            str(layout.evidence / "Users/demo/Pictures"),
            "folder",
            None,
            None,
            None,
        ),
        (
            js2,
            1,
            2,
            "JS/2",
            str(layout.evidence / "Users/demo/Downloads"),
            "folder",
            None,
            None,
            None,
        ),
    ]
    first, second = report.exhibits
    assert (first.description, first.seized_at, first.seized_when) == (None, None, None)
    assert (second.description, second.seized_at, second.seized_when) == (
        "Laptop, silver",
        "Flat 2, 1 High St",
        "2026-11-30T09:15",
    )
    assert (first.superseded_runs, second.superseded_runs) == ([1], [])
    # Each exhibit counts its own counted scan; the superseded run 1 of JS/1 is not counted.
    assert _totals(first.summary) == {
        "Category A": 1,
        "Category B": 3,
        "Category C": 3,
        "Not indecent": 1,
    }
    assert _totals(second.summary) == {"Category A": 1, "Category B": 1}
    assert _totals(report.summary) == {
        "Category A": 2,
        "Category B": 4,
        "Category C": 3,
        "Not indecent": 1,
    }
    assert report.notes == [
        "Exhibit JS/1 was scanned again: run 2 is counted; "
        "earlier run(s) 1 are superseded and not counted."
    ]
    assert [r.id for r in report.runs] == [1, 2]
    assert [(r.examiner, r.status) for r in report.runs] == [
        ("DC One", "complete"),
        ("DC Two", "complete"),
    ]


def test_an_earlier_revision_shows_its_own_figures_and_says_so(two: Store) -> None:
    with two.connect() as conn:
        first = build_report(conn, TWO, revision=1)
        latest = build_report(conn, TWO)
    assert first.notes[0] == (
        "This report shows revision 1 of the case's results; the newest is revision 2."
    )
    assert len(first.notes) == 2 and first.notes[1].startswith("Exhibit JS/1 was scanned again")
    assert (first.revision.number, first.revision.latest, first.revision.kind) == (1, 2, "scan")
    assert first.revision.created_by == "DC One"
    assert (latest.revision.number, latest.revision.latest, latest.revision.kind) == (
        2,
        2,
        "rematch",
    )
    assert latest.revision.created_by == "DC Rematch"
    for shown in (first.revision, latest.revision):
        assert shown.created_at is not None and shown.created_at.utcoffset() is not None
    assert first.revision.created_at < latest.revision.created_at
    # Revision 1 still holds the second set's conflicting hits, and the conflict row last.
    assert _totals(first.summary) == {
        "Category A": 3,  # camera_102.jpg: only the second set held it
        "Category B": 2,
        "Category C": 3,
        "Not indecent": 1,
        "conflict": 2,
    }
    assert first.category_order == [
        "Category A",
        "Category B",
        "Category C",
        "Not indecent",
        "conflict",
    ]
    assert latest.category_order == ["Category A", "Category B", "Category C", "Not indecent"]
    conflicts = [(h.exhibit, h.name) for h in first.hits if h.category == "conflict"]
    assert conflicts == [("JS/2", "b.jpg"), ("JS/1", "IMG_1001.jpg")]
    [b] = [h for h in first.hits if h.name == "b.jpg"]
    assert [
        (
            m.hashset,
            m.set_category,
            m.algorithm,
            m.distance,
            m.variant,
            m.set_version,
            m.set_revision,
        )
        for m in b.matches
    ] == [
        ("demo-vics", "Category B", "sha256", 0, None, "2.0", 1),
        (SECOND_SET, "Category A", "md5", 0, None, None, 1),
    ]
    assert b.basis == "exact"
    # Awaiting grading as revision 1 had it: camera_102.jpg was a hit then, unknown now.
    assert "camera_102.jpg" in {h.name for h in first.hits}
    assert "camera_102.jpg" not in {u.name for u in first.unknown}
    assert "camera_102.jpg" in {u.name for u in latest.unknown}
    assert len(first.unknown) == len(latest.unknown) - 1
    assert {h.name for h in first.hashsets} >= {SECOND_SET, "demo-vics"}
    assert SECOND_SET not in {h.name for h in latest.hashsets}


HITS = [
    # exhibit, name, category, basis, matches (set, label, algorithm, distance, variant, version)
    (
        "JS/2",
        "a.jpg",
        "Category A",
        "exact",
        [("demo-vics", "Category A", "sha256", 0, None, "2.0")],
    ),
    (
        "JS/2",
        "b.jpg",
        "Category B",
        "exact",
        [("demo-vics", "Category B", "sha256", 0, None, "2.0")],
    ),
    (
        "JS/1",
        "IMG_1000.jpg",
        "Category A",
        "exact",
        [("demo-vics", "Category A", "sha256", 0, None, "2.0")],  # not the known-good match
    ),
    (
        "JS/1",
        "IMG_1001.jpg",
        "Category B",
        "exact",
        [("demo-vics", "Category B", "sha256", 0, None, "2.0")],
    ),
    (
        "JS/1",
        "IMG_1002.jpg",
        "Category C",
        "exact",
        [("demo-vics", "Category C", "sha256", 0, None, "2.0")],
    ),
    (
        "JS/1",
        "camera_101.jpg",
        "Category B",
        "graded",
        [("force-graded", "Category B", "sha256", 0, None, "live")],
    ),
    (
        "JS/1",
        "mirrored.png",
        "Not indecent",
        "perceptual",
        [("demo-vics", "Not indecent", "pdq", 12, 5, "2.0")],
    ),
    (
        "JS/1",
        "notes.txt",
        "Category B",
        "exact",
        [("demo-vics", "Category B", "sha256", 0, None, "2.0")],
    ),
    (
        "JS/1",
        "recompressed.jpg",
        "Category C",
        "perceptual",
        [("demo-vics", "Category C", "pdq", 2, 0, "2.0")],
    ),
    (
        "JS/1",
        "small.jpg",
        "Category C",
        "perceptual",
        [("demo-vics", "Category C", "pdq", 8, 0, "2.0")],
    ),
]


def test_every_hit_with_its_category_basis_and_matches_in_locator_order(two: Store) -> None:
    with two.connect() as conn:
        report = build_report(conn, TWO)
    got = [
        (
            h.exhibit,
            h.name,
            h.category,
            h.basis,
            [
                (m.hashset, m.set_category, m.algorithm, m.distance, m.variant, m.set_version)
                for m in h.matches
            ],
        )
        for h in report.hits
    ]
    assert got == HITS
    assert all(m.set_revision == 1 for h in report.hits for m in h.matches)
    assert [h.grade.category if h.grade else None for h in report.hits] == [None] * 5 + [
        "Category B"
    ] + [None] * 4


def test_item_rows_carry_what_the_files_themselves_say(two: Store) -> None:
    """Hashes, size, name, time and locator of each live hit, checked against the file."""
    layout = _built_case().layout
    pictures = layout.evidence / "Users/demo/Pictures"
    with two.connect() as conn:
        report = build_report(conn, TWO)
    live = [h for h in report.hits if h.exhibit == "JS/1"]
    assert len(live) == 8
    for row in live:
        path = pictures / row.name
        data = path.read_bytes()
        assert row.locator == f"os:{path}"
        assert json.loads(row.locator_key) == [{"path": str(path), "type": "os"}]
        assert (row.location, row.status, row.reason, row.size) == ("live", "ok", None, len(data))
        assert row.md5 == hashlib.md5(data).hexdigest()
        assert row.sha1 == hashlib.sha1(data).hexdigest()
        assert row.sha256 == hashlib.sha256(data).hexdigest()
        assert row.mtime == datetime.fromtimestamp(path.stat().st_mtime, UTC)
        assert row.pdq is not None and len(row.pdq) == 64 and row.pdq_quality == 100
        assert row.family == "image"
    by_name = {h.name: h for h in report.hits}
    assert (by_name["notes.txt"].file_type, by_name["mirrored.png"].file_type) == ("jpeg", "png")
    assert by_name["IMG_1002.jpg"].exif == ExifRow(
        taken="2021-06-01T12:00:00",
        camera_make="TestCam",
        camera_model="T-1",
        software=None,
        gps_present=True,
    )
    assert all(h.exif is None for h in report.hits if h.name != "IMG_1002.jpg")
    archived = by_name["a.jpg"]
    assert archived.location == "archive" and archived.exhibit == "JS/2"
    assert archived.locator.endswith(" → zip:inner/album.zip → zip:album/a.jpg")
    assert [h.id for h in report.hits] == sorted(h.id for h in report.hits)


def test_unknown_error_and_graded_items_of_the_counted_scans(two: Store) -> None:
    with two.connect() as conn:
        report = build_report(conn, TWO)
    assert [(u.exhibit, u.name) for u in report.unknown] == [
        ("JS/2", "new.jpg"),
        ("JS/2", "p500.jpg"),
        ("JS/2", "p501.jpg"),
        ("JS/1", "camera_100.jpg"),
        ("JS/1", "camera_102.jpg"),
        ("JS/1", "camera_103.jpg"),
        ("JS/1", "camera_104.jpg"),
    ]
    assert all(u.category is None and u.matches == [] for u in report.unknown)
    [no_time] = [u for u in report.unknown if u.mtime is None]
    assert no_time.name == "camera_100.jpg"
    assert [(e.exhibit, e.name, e.status, e.reason) for e in report.errors] == [
        ("JS/2", "x.jpg", "encrypted", "encrypted (ZipCrypto); no password attempted"),
        ("JS/2", "y.jpg", "encrypted", "encrypted (ZipCrypto); no password attempted"),
        ("JS/1", "broken.jpg", "error", "image could not be decoded: truncated JPEG"),
    ]
    [graded] = report.graded
    assert graded.name == "camera_101.jpg" and graded.grade is not None
    assert (graded.grade.state, graded.grade.category, graded.grade.graded_by) == (
        "single",
        "Category B",
        "DC Ann",
    )


def test_findings_of_the_counted_scans_with_their_locators_for_people(two: Store) -> None:
    pictures = _built_case().layout.evidence / "Users/demo/Pictures"
    with two.connect() as conn:
        report = build_report(conn, TWO)
    got = [(f.rule_id, f.exhibit, f.family, f.severity) for f in report.findings]
    # run 1's finding on JS/1 (notes.txt) rests on a superseded scan: left out; run 2's kept.
    assert got == [
        ("enc-archive-protected", "JS/2", "encryption", "high"),
        ("conceal-renamed-media", "JS/1", "concealment", "high"),
        ("test.rule-10", None, "storage", "low"),
        ("test.rule-2", None, "storage", "low"),
        ("test.rule-1", "JS/1", "storage", "low"),
    ]
    by_rule = {f.rule_id: f for f in report.findings}
    assert by_rule["conceal-renamed-media"].locators == [f"os:{pictures / 'notes.txt'}"]
    assert by_rule["conceal-renamed-media"].detail == {
        "extension": "txt",
        "true_type": "jpeg",
        "true_family": "image",
    }
    assert by_rule["conceal-renamed-media"].description == (
        "A picture or video whose extension hides its true type"
    )
    # Locators that are not a list: none, or the item's own locator for people.
    assert (by_rule["test.rule-10"].locators, by_rule["test.rule-10"].detail) == ([], None)
    assert by_rule["test.rule-1"].locators == [f"os:{pictures / 'small.jpg'}"]
    # A key that is no locator is shown as it is.
    assert by_rule["test.rule-2"].locators == ["42", "os:/x/y.jpg"]
    assert by_rule["test.rule-2"].detail == {"n": 1}
    assert by_rule["test.rule-2"].description == "made by the test"


def test_what_a_blind_second_grader_may_not_see_is_left_out(two: Store) -> None:
    from vigil.store.schema import item

    with two.connect() as conn:
        whole = build_report(conn, TWO)
        blind = build_report(
            conn, TWO, leave_out=item.c.name.in_(["IMG_1000.jpg", "camera_101.jpg"])
        )
    assert [h.name for h in blind.hits] == [
        h.name for h in whole.hits if h.name not in ("IMG_1000.jpg", "camera_101.jpg")
    ]
    assert blind.graded == [] and len(whole.graded) == 1
    assert _totals(blind.summary) == {
        "Category A": 1,
        "Category B": 3,
        "Category C": 3,
        "Not indecent": 1,
    }
    assert _totals(blind.exhibits[0].summary) == {
        "Category B": 2,
        "Category C": 3,
        "Not indecent": 1,
    }
    assert [h.name for h in blind.hits if h.grade is not None] == []


def test_who_made_the_report_where_and_how_it_is_marked(two: Store) -> None:
    before = datetime.now(UTC)
    with two.connect() as conn:
        default = build_report(conn, TWO)
        marked = build_report(conn, TWO, "DS Named", marking="  SECRET \n")
        unmarked = build_report(conn, TWO, marking="")
    after = datetime.now(UTC)
    assert (default.case, default.scheme, default.scheme_title) == (
        TWO,
        "uk",
        "UK Sentencing Council categories",
    )
    assert default.generated_by == "test-examiner"  # VIGIL_USER of the test
    assert default.created_by == "DC One"
    assert default.created_at.utcoffset() is not None
    assert before <= default.generated_at <= after
    assert default.host == socket.gethostname() and default.vigil_version == vigil.__version__
    assert default.marking == "OFFICIAL-SENSITIVE"
    assert (marked.generated_by, marked.marking, unmarked.marking) == ("DS Named", "SECRET", "")
    with two.connect() as conn:
        case_id = conn.execute(sa.select(case.c.id).where(case.c.name == TWO)).scalar_one()
        assert (default.audit.seq, default.audit.head) == head(conn, case_scope(case_id))
    assert default.audit.intact and default.audit.problems == []


def _with_categories(labels: list[str], *exhibit_labels: list[str]) -> Any:
    """A stand-in Report with only what ``_category_order`` reads: the labels met."""
    from types import SimpleNamespace

    def summary(found: list[str]) -> Any:
        return SimpleNamespace(categories=dict.fromkeys(found))

    return SimpleNamespace(
        summary=summary(labels),
        exhibits=[SimpleNamespace(summary=summary(x)) for x in exhibit_labels],
    )


def test_sfr_rows_are_the_indecent_categories_then_others_met_then_conflict() -> None:
    from vigil.hashsets.schemes import load_scheme
    from vigil.reports.gather import _category_order

    uk = load_scheme("uk")
    indecent = ["Category A", "Category B", "Category C"]
    assert _category_order(uk, _with_categories([])) == indecent
    met = ["conflict", "zz label", "Uncategorised", "aa label", "Category B"]
    assert _category_order(uk, _with_categories(met)) == [
        *indecent,
        "Uncategorised",  # a scheme category met: in the scheme's order
        "aa label",  # labels outside the scheme: sorted, after the scheme's
        "zz label",
        "conflict",  # always last
    ]
    # A label met in one exhibit only is a row too; conflict only when met.
    assert _category_order(uk, _with_categories([], ["Not indecent"], ["b other"])) == [
        *indecent,
        "Not indecent",
        "b other",
    ]
    assert _category_order(uk, _with_categories([], [], ["conflict"])) == [*indecent, "conflict"]


def test_locator_keys_are_shown_for_people_and_anything_else_as_it_is() -> None:
    from vigil.reports.gather import _display

    chain = [{"type": "os", "path": "/e/a.zip"}, {"type": "zip", "path": "b.jpg"}]
    assert _display(chain) == "os:/e/a.zip → zip:b.jpg"
    assert _display(json.dumps(chain)) == "os:/e/a.zip → zip:b.jpg"
    assert _display(7) == "7"
    assert _display("not json") == "not json"
    assert _display({"type": "os"}) == "{'type': 'os'}"
    assert _display([{"path": "/x"}]) == "[{'path': '/x'}]"


def test_exif_of_an_item_row() -> None:
    from types import SimpleNamespace

    from vigil.reports.gather import exif_row

    none = dict(exif_taken=None, camera_make=None, camera_model=None, exif_software=None)
    assert exif_row(SimpleNamespace(**none, gps_present=None)) is None
    for field, value in (*((k, "x") for k in none), ("gps_present", False)):
        row = exif_row(SimpleNamespace(**{**none, "gps_present": None, field: value}))
        assert row is not None and row.gps_present is False
    only_software = exif_row(SimpleNamespace(**{**none, "exif_software": "Ed 1", "gps_present": 1}))
    assert only_software == ExifRow(
        taken=None, camera_make=None, camera_model=None, software="Ed 1", gps_present=True
    )


def test_timelines_cover_the_items_of_the_counted_scans(two: Store) -> None:
    from vigil.reports.model import TimelineBin

    with two.connect() as conn:
        report = build_report(conn, TWO)
    # File dates are when the fixture was made (one month, or two at a month's end);
    # the tar members' 1970 dates and the item without one are left out.
    assert sum(b.hits for b in report.timeline) == 10
    assert sum(b.unknown for b in report.timeline) == 4
    assert sum(b.other for b in report.timeline) == 1
    assert report.taken_timeline == [TimelineBin(period="2021-06", hits=1, unknown=0, other=0)]


def test_an_earlier_revision_counts_each_exhibit_as_it_was_then(two: Store) -> None:
    with two.connect() as conn:
        first = build_report(conn, TWO, revision=1)
    assert [_totals(e.summary) for e in first.exhibits] == [
        {"Category A": 2, "Category B": 2, "Category C": 3, "Not indecent": 1, "conflict": 1},
        {"Category A": 1, "conflict": 1},
    ]


def test_leaving_out_items_keeps_the_grades_of_the_others(two: Store) -> None:
    from vigil.store.schema import item

    with two.connect() as conn:
        report = build_report(conn, TWO, leave_out=item.c.name == "IMG_1000.jpg")
    [graded] = report.graded
    assert graded.name == "camera_101.jpg" and graded.grade is not None
    assert graded.grade.graded_by == "DC Ann"
    [hit] = [h for h in report.hits if h.name == "camera_101.jpg"]
    assert hit.grade == graded.grade
    assert "IMG_1000.jpg" not in {h.name for h in report.hits}
