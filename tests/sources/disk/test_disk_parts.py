"""A large image split over several scan tasks: same items, none twice, none lost."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from vigil.scan.pipeline import ScanOptions, run_scan
from vigil.sources.disk import parts
from vigil.sources.disk.parts import slice_ranges
from vigil.store.engine import Store
from vigil.store.schema import item, scan_run, scan_task

from .conftest import DiskSet


@pytest.mark.parametrize("count", [1, 2, 3, 7])
def test_slices_cover_the_ranges_exactly(count: int) -> None:
    ranges = [(0, 4096), (10_240, 10_240 + 512 * 9), (1 << 20, (1 << 20) + 512 * 100)]
    pieces = [slice_ranges(ranges, (index, count)) for index in range(count)]
    covered = sorted(r for piece in pieces for r in piece)
    merged: list[tuple[int, int]] = []
    for start, end in covered:
        if merged and merged[-1][1] == start:
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    assert merged == ranges
    assert sum(e - s for s, e in covered) == sum(e - s for s, e in ranges)  # no overlap


def _items(store: Store, run_id: int) -> list[tuple[object, ...]]:
    with store.connect() as conn:
        rows = conn.execute(
            sa.select(item.c.locator, item.c.sha256, item.c.location, item.c.status, item.c.kind)
            .where(item.c.run_id == run_id)
            .order_by(item.c.locator)
        ).all()
    return [tuple(r) for r in rows]


def test_parts_give_the_items_of_one_task(
    store: Store, disks: DiskSet, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = run_scan(store, [disks.e01], ScanOptions(case="whole", workers=1))
    monkeypatch.setattr(parts, "PART_BYTES", 4 * 1024 * 1024)
    total = sum(p.stat().st_size for p in disks.e01.parent.glob("exhibit.E*"))
    expected_parts = -(-total // parts.PART_BYTES)
    assert expected_parts >= 3
    split = run_scan(store, [disks.e01], ScanOptions(case="split", workers=2))
    assert _items(store, split.run_id) == _items(store, whole.run_id)
    with store.connect() as conn:
        tasks = conn.execute(
            sa.select(sa.func.count()).where(scan_task.c.run_id == split.run_id)
        ).scalar()
        runs = conn.execute(sa.select(scan_run.c.id)).scalars().all()
    assert tasks == expected_parts
    assert len(runs) == 2


class _Crash:
    """A progress sink that interrupts the scan after a few top-level tasks."""

    def __init__(self, after: int) -> None:
        self.left = after

    def total(self, items: int, size_bytes: int) -> None:
        """Ignored."""

    def advance(self, items: int, size_bytes: int) -> None:
        """Raise once ``after`` tasks are done (committed one by one)."""
        self.left -= items
        if self.left <= 0:
            raise KeyboardInterrupt


def test_interrupted_parts_resume_to_the_same_result(
    store: Store, disks: DiskSet, monkeypatch: pytest.MonkeyPatch
) -> None:
    from vigil.scan import pipeline

    monkeypatch.setattr(parts, "PART_BYTES", 4 * 1024 * 1024)
    monkeypatch.setattr(pipeline, "COMMIT_TASKS", 1)
    whole = run_scan(store, [disks.e01], ScanOptions(case="whole", workers=1))
    with pytest.raises(KeyboardInterrupt):
        run_scan(store, [disks.e01], ScanOptions(case="cut", workers=1), progress=_Crash(3))
    with store.connect() as conn:
        cut = conn.execute(sa.select(scan_run.c.id).where(scan_run.c.status == "running")).scalar()
        done = conn.execute(
            sa.select(sa.func.count()).where(scan_task.c.run_id == cut)
        ).scalar_one()
    assert done >= 2  # committed one by one before the interruption
    resumed = run_scan(store, [], ScanOptions(case="cut", workers=1, resume=True))
    assert (resumed.run_id, resumed.tasks_skipped) == (cut, done)
    assert _items(store, resumed.run_id) == _items(store, whole.run_id)
