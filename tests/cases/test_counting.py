"""Counting: each exhibit counts once, by its latest finished run (never two runs of it)."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from vigil.cases.case import get_case
from vigil.cases.counting import case_item_counts, case_summary, list_cases
from vigil.cases.exhibits import ExhibitRequest
from vigil.cases.runs import counted_evidence
from vigil.scan.pipeline import ScanOptions, run_scan
from vigil.store.engine import Store
from vigil.store.schema import evidence, scan_run

CASE = "OP-COUNT"


def _scan(store: Store, paths: list[Path], rescan: bool = False) -> int:
    options = ScanOptions(case=CASE, workers=1, exhibits=ExhibitRequest(rescan=rescan))
    return run_scan(store, paths, options).run_id


def _evidence_of(store: Store, run_id: int) -> list[int]:
    with store.connect() as conn:
        rows = conn.execute(
            sa.select(evidence.c.id).where(evidence.c.run_id == run_id).order_by(evidence.c.id)
        )
        return [int(r) for r in rows.scalars()]


def _evidence(tmp_path: Path) -> tuple[Path, Path]:
    a, b = tmp_path / "a", tmp_path / "b"
    for folder, files in ((a, 3), (b, 2)):
        folder.mkdir()
        for i in range(files):
            (folder / f"{i}.txt").write_text(f"{folder.name} {i}\n")
    return a, b


def test_latest_finished_run_of_each_exhibit_counts(store: Store, tmp_path: Path) -> None:
    a, b = _evidence(tmp_path)
    first = _scan(store, [a, b])
    second = _scan(store, [a], rescan=True)
    third = _scan(store, [a], rescan=True)
    with store.begin() as conn:  # the latest re-scan of a never finished
        conn.execute(sa.update(scan_run).where(scan_run.c.id == third).values(status="running"))
    with store.connect() as conn:
        counted = counted_evidence(conn, int(get_case(conn, CASE).id))
    first_a, first_b = _evidence_of(store, first)
    assert sorted(counted.values()) == sorted([_evidence_of(store, second)[0], first_b])
    assert first_a not in counted.values()


def test_case_counts_and_case_list_do_not_double(store: Store, tmp_path: Path) -> None:
    a, b = _evidence(tmp_path)
    _scan(store, [a, b])
    once = case_summary(store, CASE)
    with store.connect() as conn:
        items_once = case_item_counts(conn, int(get_case(conn, CASE).id))
    _scan(store, [b], rescan=True)
    again = case_summary(store, CASE)
    with store.connect() as conn:
        items_again = case_item_counts(conn, int(get_case(conn, CASE).id))
    assert (
        (again.items, again.files, again.bytes) == (once.items, once.files, once.bytes) != (0, 0, 0)
    )
    assert items_again == items_once
    [listed] = list_cases(store)
    assert (listed["runs"], listed["items"]) == (2, once.items)
