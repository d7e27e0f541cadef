"""A case's figures are frozen: removing or replacing a hash set changes no past result."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from frozen_helpers import CASE, relabelled

from vigil.audit import case_scope, entries
from vigil.cases.counting import case_summary
from vigil.demo.evidence import DemoLayout
from vigil.hashsets import library
from vigil.reports import build_report
from vigil.scan.pipeline import ScanOptions, run_scan
from vigil.store.engine import Store
from vigil.store.schema import match, result_hashset_version, scan_run


def _figures(store: Store, revision: int | None = None) -> dict[str, Any]:
    """Everything a statement quotes: the SFR table, conflicts, and each hit with its basis."""
    with store.connect() as conn:
        report = build_report(conn, CASE, revision=revision)
    s = report.summary
    return {
        "categories": {
            label: (d.total.instances, d.total.unique, d.exact, d.perceptual, d.graded)
            for label, d in s.categories.items()
        },
        "exact": {k: (c.instances, c.unique) for k, c in s.exact.items()},
        "perceptual": {k: (c.instances, c.unique) for k, c in s.perceptual.items()},
        "conflicts": s.conflicts,
        "known": s.known,
        "unknown": (s.unknown_images, s.unknown_videos, s.unknown_unique),
        "hits": sorted(
            (
                h.locator,
                h.category,
                h.basis,
                tuple((m.hashset, m.set_category, m.algorithm, m.distance) for m in h.matches),
            )
            for h in report.hits
        ),
        "unknown_items": sorted(u.locator for u in report.unknown),
        "order": report.category_order,
    }


def test_removing_a_set_changes_no_figure_of_a_scanned_case(two_sets: Store) -> None:
    before = _figures(two_sets)
    assert before["conflicts"] == 0
    assert before["categories"]["Category A"][0] == 2
    pdq_before = [h for h in before["hits"] if h[2] == "perceptual"]
    assert len(pdq_before) == 3
    library.remove_set(two_sets, "set-two")
    after = _figures(two_sets)
    assert after == before
    # No raw scheme keys beside the labels, and the deleted set's PDQ hits are those it had.
    assert not {"A", "B", "C"} & set(after["categories"])
    assert [h for h in after["hits"] if h[2] == "perceptual"] == pdq_before
    assert any("set-two" in str(h[3]) for h in after["hits"])


def test_removed_set_stays_named_with_its_version_in_the_report(two_sets: Store) -> None:
    with two_sets.connect() as conn:
        recorded = build_report(conn, CASE).hashsets
    library.remove_set(two_sets, "set-two")
    with two_sets.connect() as conn:
        report = build_report(conn, CASE)
    assert report.hashsets == recorded
    [gone] = [h for h in report.hashsets if h.name == "set-two"]
    assert gone.run_id is not None and gone.entry_count == 6 and gone.set_revision == 1
    assert gone.source_sha256 is not None and len(gone.source_sha256) == 64
    assert (report.revision.number, report.revision.latest, report.revision.kind) == (1, 1, "scan")


def test_removing_a_set_deletes_none_of_the_case_hits(two_sets: Store) -> None:
    with two_sets.connect() as conn:
        counted = conn.execute(sa.select(sa.func.count()).select_from(match)).scalar_one()
        versions = conn.execute(
            sa.select(sa.func.count()).select_from(result_hashset_version)
        ).scalar_one()
    library.remove_set(two_sets, "set-two")
    library.remove_set(two_sets, "set-one")
    with two_sets.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(match)).scalar_one() == counted
        assert (
            conn.execute(
                sa.select(sa.func.count()).select_from(result_hashset_version)
            ).scalar_one()
            == versions
        )


def test_replacing_a_set_changes_no_figure_until_rematch(
    two_sets: Store, demo: DemoLayout, tmp_path: Path
) -> None:
    before = _figures(two_sets)
    replacement = relabelled(demo, tmp_path / "all-c.json", "C")
    status = library.import_file(two_sets, replacement, "set-one")
    assert status.status == "replaced"
    assert _figures(two_sets) == before
    # Even under another scheme, whose labels and keys differ from the scan's.
    other = relabelled(demo, tmp_path / "us.json", "cam", "us")
    assert library.import_file(two_sets, other, "set-two", scheme="us").status == "replaced"
    assert _figures(two_sets) == before
    summary = case_summary(two_sets, CASE)
    assert summary.revision == summary.latest_revision == 1
    assert summary.conflicts == 0


def test_a_resumed_scan_adds_sets_new_since_and_keeps_the_versions_it_had(
    two_sets: Store, demo: DemoLayout, tmp_path: Path
) -> None:
    with two_sets.begin() as conn:
        conn.execute(sa.update(scan_run).values(status="running"))  # as if killed at the end
    library.import_file(two_sets, relabelled(demo, tmp_path / "c.json", "C"), "set-one")
    library.import_file(two_sets, relabelled(demo, tmp_path / "b.json", "B"), "set-new")
    run_scan(two_sets, [], ScanOptions(case=CASE, resume=True, workers=1))
    with two_sets.connect() as conn:
        recorded = dict(
            conn.execute(
                sa.select(result_hashset_version.c.name, result_hashset_version.c.set_revision)
            ).all()
        )
    assert recorded == {"set-one": 1, "set-two": 1, "known-good": 1, "set-new": 1}
    with two_sets.connect() as conn:
        [resumed] = [e for e in entries(conn, case_scope(1)) if e.action == "scan.resume"]
    assert resumed.detail == {"run": 1, "sets_changed_since_start": ["set-one"]}
