"""The demo's USB-stick image: a scan finds its live, deleted and carved pictures."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from vigil.cases.counting import case_summary
from vigil.demo.evidence import build_demo
from vigil.hashsets import library
from vigil.scan.pipeline import ScanOptions, run_scan
from vigil.store.engine import Store
from vigil.store.schema import item, match


def test_demo_disk_image_counts(store: Store, tmp_path: Path) -> None:
    demo = build_demo(tmp_path / "demo")
    assert demo.disk_image is not None
    library.import_file(store, demo.vics, "demo-vics")
    before = demo.disk_image.read_bytes()
    run_scan(store, [demo.disk_image], ScanOptions(case="disk", workers=1))
    assert demo.disk_image.read_bytes() == before
    summary = case_summary(store, "disk")
    assert summary.exact_total == demo.expected_disk["exact"]
    assert summary.unknown_images == demo.expected_disk["unknown"]
    with store.connect() as conn:
        hit_locations = conn.execute(
            sa.select(item.c.location).join(match, match.c.item_id == item.c.id)
        ).scalars()
        counts: dict[str, int] = {}
        for location in hit_locations:
            counts[location] = counts.get(location, 0) + 1
    expected = {k: demo.expected_disk[k] for k in ("live", "deleted", "carved")}
    assert counts == expected
