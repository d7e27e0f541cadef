"""A re-scan never adds: the same evidence twice is refused; --rescan replaces, never doubles."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from vigil.audit import case_scope, entries
from vigil.cases.counting import CaseSummary, case_summary
from vigil.cases.exhibits import ExhibitRequest
from vigil.demo.evidence import DemoLayout
from vigil.errors import AlreadyAnExhibitError, UsageError
from vigil.indicators.findings import case_findings
from vigil.scan.pipeline import ScanOptions, run_scan
from vigil.store.engine import Store
from vigil.store.schema import case, exhibit, scan_run

CASE = "OP-RESCAN"


def _scan(store: Store, path: Path, reference: str | None = None, rescan: bool = False) -> int:
    request = ExhibitRequest(references=(reference,) if reference else (), rescan=rescan)
    options = ScanOptions(case=CASE, examiner="DC Test", workers=1, exhibits=request)
    return run_scan(store, [path], options).run_id


def _totals(s: CaseSummary) -> tuple[object, ...]:
    categories = {k: (v.total.instances, v.total.unique) for k, v in s.categories.items()}
    return (s.items, s.files, s.exact_total, s.perceptual_total, s.unknown_images, categories)


def _runs(store: Store) -> int:
    with store.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(scan_run)).scalar_one())


def test_same_folder_twice_is_refused_naming_the_run(demo_store: Store, demo: DemoLayout) -> None:
    first = _scan(demo_store, demo.evidence, "JS/1")
    with pytest.raises(AlreadyAnExhibitError) as refused:
        _scan(demo_store, demo.evidence)
    message = str(refused.value)
    assert f"run {first}" in message and "exhibit JS/1" in message and "--rescan" in message
    assert isinstance(refused.value, UsageError)  # the CLI's exit code for a user error
    assert _runs(demo_store) == 1


def test_the_same_folder_by_another_spelling_is_refused(
    demo_store: Store, demo: DemoLayout, tmp_path: Path
) -> None:
    _scan(demo_store, demo.evidence)
    link = tmp_path / "link-to-evidence"
    link.symlink_to(demo.evidence)
    for other in (link, demo.evidence / ".." / demo.evidence.name):
        with pytest.raises(AlreadyAnExhibitError, match="Exhibit 1"):
            _scan(demo_store, other)
    assert _runs(demo_store) == 1


def test_rescan_counts_once_and_keeps_the_history(demo_store: Store, demo: DemoLayout) -> None:
    first = _scan(demo_store, demo.evidence, "JS/1")
    once = case_summary(demo_store, CASE)
    second = _scan(demo_store, demo.evidence, rescan=True)
    twice = case_summary(demo_store, CASE)
    assert once.exact_total > 0 and once.categories["Category A"].total.instances > 0
    assert _totals(twice) == _totals(once)
    assert [r.id for r in twice.runs] == [first, second]
    assert [[e["counted"] for e in r.evidence] for r in twice.runs] == [[False], [True]]
    assert {e["exhibit"] for r in twice.runs for e in r.evidence} == {"JS/1"}
    with demo_store.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(exhibit)).scalar_one() == 1
        case_id = conn.execute(sa.select(case.c.id)).scalar_one()
        audit = [e for e in entries(conn, case_scope(case_id)) if e.action == "exhibit.rescan"]
    assert [(e.target, e.detail) for e in audit] == [
        ("JS/1", {"run": second, "supersedes_run": first})
    ]


def test_rescan_does_not_double_findings(demo_store: Store, demo: DemoLayout) -> None:
    _scan(demo_store, demo.evidence)
    once = case_findings(demo_store, CASE)
    second = _scan(demo_store, demo.evidence, rescan=True)
    again = case_findings(demo_store, CASE)
    assert once and len(again) == len(once)
    assert {f["run_id"] for f in again} == {second}


def test_renamed_copy_of_a_disk_image_is_refused(
    demo_store: Store, demo: DemoLayout, tmp_path: Path
) -> None:
    assert demo.disk_image is not None
    first = _scan(demo_store, demo.disk_image, "JS/2")
    copy = tmp_path / "renamed.dd"
    shutil.copyfile(demo.disk_image, copy)
    with pytest.raises(AlreadyAnExhibitError) as refused:
        _scan(demo_store, copy)
    assert f"run {first}" in str(refused.value) and "exhibit JS/2" in str(refused.value)
    with demo_store.connect() as conn:
        stored = conn.execute(sa.select(exhibit.c.sha256, exhibit.c.size)).one()
    assert stored.size == os.path.getsize(copy) and len(stored.sha256) == 64


def test_a_different_file_of_the_same_size_is_a_new_exhibit(
    demo_store: Store, demo: DemoLayout, tmp_path: Path
) -> None:
    assert demo.disk_image is not None
    _scan(demo_store, demo.disk_image)
    other = tmp_path / "other.dd"
    data = bytearray(demo.disk_image.read_bytes())
    data[-1] ^= 0xFF  # same size, other bytes: another medium
    other.write_bytes(bytes(data))
    _scan(demo_store, other)
    with demo_store.connect() as conn:
        refs = conn.execute(sa.select(exhibit.c.reference).order_by(exhibit.c.id)).scalars().all()
    assert refs == ["Exhibit 1", "Exhibit 2"]


def test_rescan_under_another_reference_is_refused(demo_store: Store, demo: DemoLayout) -> None:
    _scan(demo_store, demo.evidence, "JS/1")
    with pytest.raises(UsageError, match="is exhibit JS/1 of this case, not JS/9"):
        _scan(demo_store, demo.evidence, "JS/9", rescan=True)
    assert _runs(demo_store) == 1


def test_a_taken_reference_for_other_evidence_is_refused(
    demo_store: Store, demo: DemoLayout
) -> None:
    _scan(demo_store, demo.evidence / "Users/demo/Pictures", "JS/1")
    with pytest.raises(UsageError, match="exhibit JS/1 of this case is already"):
        _scan(demo_store, demo.evidence / "Users/demo/Downloads", "JS/1")
    assert _runs(demo_store) == 1


def test_an_unfinished_rescan_leaves_the_finished_run_counting(
    demo_store: Store, demo: DemoLayout
) -> None:
    _scan(demo_store, demo.evidence)
    once = case_summary(demo_store, CASE)
    second = _scan(demo_store, demo.evidence, rescan=True)
    with demo_store.begin() as conn:  # as if the re-scan had been interrupted
        conn.execute(sa.update(scan_run).where(scan_run.c.id == second).values(status="running"))
    during = case_summary(demo_store, CASE)
    assert _totals(during) == _totals(once)
    assert [[e["counted"] for e in r.evidence] for r in during.runs] == [[True], [False]]


def test_resume_continues_the_run_and_is_no_rescan(demo_store: Store, demo: DemoLayout) -> None:
    first = _scan(demo_store, demo.evidence, "JS/1")
    with demo_store.begin() as conn:  # as if the scan had been interrupted
        conn.execute(sa.update(scan_run).where(scan_run.c.id == first).values(status="running"))
    resumed = run_scan(demo_store, [], ScanOptions(case=CASE, workers=1, resume=True))
    assert resumed.run_id == first and resumed.resumed
    summary = case_summary(demo_store, CASE)
    assert [[e["counted"] for e in r.evidence] for r in summary.runs] == [[True]]
    with demo_store.connect() as conn:
        case_id = conn.execute(sa.select(case.c.id)).scalar_one()
        actions = {e.action for e in entries(conn, case_scope(case_id))}
    assert "exhibit.rescan" not in actions


def test_rescan_does_not_take_seizure_details(demo_store: Store, demo: DemoLayout) -> None:
    _scan(demo_store, demo.evidence, "JS/1")
    request = ExhibitRequest(description="other words", rescan=True)
    options = ScanOptions(case=CASE, workers=1, exhibits=request)
    with pytest.raises(UsageError, match="vigil exhibit edit 'JS/1'"):
        run_scan(demo_store, [demo.evidence], options)
    assert _runs(demo_store) == 1
