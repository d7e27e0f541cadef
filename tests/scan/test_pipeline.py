"""Scanning the demo evidence: every planted item found, hashed, matched and counted."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import sqlalchemy as sa

from vigil.cases.counting import case_summary
from vigil.demo.evidence import DemoLayout
from vigil.errors import ScanError
from vigil.scan.pipeline import ScanOptions, run_scan
from vigil.sources.locator import Locator
from vigil.store.engine import Store
from vigil.store.schema import evidence, item, match


def items_by_display(store: Store) -> dict[str, sa.Row[object]]:
    with store.connect() as conn:
        return {r.display: r for r in conn.execute(sa.select(item))}


@pytest.mark.parametrize("workers", [1, 2])
def test_demo_scan_finds_everything(demo_store: Store, demo: DemoLayout, workers: int) -> None:
    run_scan(demo_store, [demo.evidence], ScanOptions(case="c", workers=workers))
    s = case_summary(demo_store, "c")
    assert s.exact_total == demo.expected["exact"]
    assert s.perceptual_total == demo.expected["perceptual"]
    assert s.known == demo.expected["known"]
    assert s.problems.get("encrypted") == demo.expected["encrypted"]
    assert s.problems.get("error") == 1  # the truncated JPEG
    assert s.conflicts == 0
    assert {k: v.instances for k, v in s.exact.items()} == {
        "Category A": 2,
        "Category B": 3,
        "Category C": 1,
    }
    # 5 camera pictures, one new picture in the nested zip, two in the tarball
    assert s.unknown_images == 8
    assert s.ext_mismatch == 1
    assert s.runs[0].status == "complete"


def test_nested_member_locator_and_hit(demo_store: Store, demo: DemoLayout) -> None:
    run_scan(demo_store, [demo.evidence], ScanOptions(case="c", workers=1))
    rows = items_by_display(demo_store)
    bundle = demo.evidence / "Users/demo/Downloads/bundle.zip"
    key = f"os:{bundle} → zip:inner/album.zip → zip:album/a.jpg"
    row = rows[key]
    loc = Locator.from_json(row.locator)
    assert [layer.type for layer in loc.layers] == ["os", "zip", "zip"]
    assert row.location == "archive" and row.review == "hit" and row.depth == 2
    with demo_store.connect() as conn:
        hits = conn.execute(sa.select(match).where(match.c.item_id == row.id)).all()
    assert [(h.algorithm, h.category, h.hashset_name) for h in hits] == [
        ("sha256", "A", "demo-vics")
    ]


def test_renamed_picture_is_flagged_and_hit(demo_store: Store, demo: DemoLayout) -> None:
    run_scan(demo_store, [demo.evidence], ScanOptions(case="c", workers=1))
    row = items_by_display(demo_store)[f"os:{demo.evidence}/Users/demo/Pictures/notes.txt"]
    assert row.file_type == "jpeg" and row.ext_mismatch and row.review == "hit"


def test_mirrored_copy_matches_by_pdq_variant(demo_store: Store, demo: DemoLayout) -> None:
    run_scan(demo_store, [demo.evidence], ScanOptions(case="c", workers=1))
    row = items_by_display(demo_store)[f"os:{demo.evidence}/Users/demo/Pictures/mirrored.png"]
    with demo_store.connect() as conn:
        [hit] = conn.execute(sa.select(match).where(match.c.item_id == row.id)).all()
    assert hit.algorithm == "pdq" and hit.distance <= 31 and hit.best
    assert hit.variant != 0  # found through a flipped variant, not the original orientation


def test_low_quality_and_encrypted_items(demo_store: Store, demo: DemoLayout) -> None:
    run_scan(demo_store, [demo.evidence], ScanOptions(case="c", workers=1))
    rows = items_by_display(demo_store)
    private = demo.evidence / "Users/demo/Downloads/private.zip"
    enc = rows[f"os:{private} → zip:x.jpg"]
    assert enc.status == "encrypted" and enc.md5 is None
    assert json.loads(enc.locator)[-1].get("encrypted") is True


def test_run_provenance(demo_store: Store, demo: DemoLayout) -> None:
    archive = demo.evidence / "Users/demo/Downloads/bundle.zip"
    run_scan(demo_store, [archive], ScanOptions(case="c", workers=1, examiner="pc 123"))
    s = case_summary(demo_store, "c")
    [run] = s.runs
    assert run.examiner == "pc 123"
    import hashlib

    assert run.evidence[0]["sha256"] == hashlib.sha256(archive.read_bytes()).hexdigest()
    with demo_store.connect() as conn:
        params, versions, sets = conn.execute(
            sa.text("select params, versions, hashsets from scan_run")
        ).one()
    if isinstance(versions, str):
        params, versions, sets = json.loads(params), json.loads(versions), json.loads(sets)
    assert "pillow" in versions and "pdqhash" in versions and versions["vigil"]
    assert params["pdq_threshold"] == 31 and "limits" in params
    assert {s["name"] for s in sets} == {"demo-vics", "demo-known-good"}
    with demo_store.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(evidence)).scalar_one() == 1


def test_unfinished_scan_blocks_a_new_one(demo_store: Store, demo: DemoLayout) -> None:
    with pytest.raises(ScanError, match="no unfinished scan"):
        run_scan(demo_store, [], ScanOptions(case="c", resume=True))
    with demo_store.begin() as conn:
        conn.execute(
            sa.text(
                "insert into case_ (name, scheme, created_at, created_by) "
                "values ('c', 'uk', CURRENT_TIMESTAMP, 't')"
            )
        )
        conn.execute(
            sa.text(
                "insert into scan_run (case_id, examiner, host, status, started_at, "
                "resumed_count, elapsed_s, params, versions, hashsets) "
                "select id, 't', 'h', 'running', CURRENT_TIMESTAMP, 0, 0, '{}', '{}', "
                "'[]' from case_"
            )
        )
    with pytest.raises(ScanError, match="unfinished scan"):
        run_scan(demo_store, [demo.evidence], ScanOptions(case="c"))


def test_missing_path_is_a_scan_error(demo_store: Store, tmp_path: Path) -> None:
    with pytest.raises(ScanError, match="no such file or folder"):
        run_scan(demo_store, [tmp_path / "nope"], ScanOptions(case="c"))


def test_scan_through_the_on_disk_pdq_index(
    demo_store: Store, demo: DemoLayout, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A library big enough for the index gives the same counts as brute force."""
    import vigil.matching.library_pdq as library_pdq

    run_scan(demo_store, [demo.evidence], ScanOptions(case="brute", workers=1))
    monkeypatch.setattr(library_pdq, "INDEX_MIN_ENTRIES", 1)
    run_scan(demo_store, [demo.evidence], ScanOptions(case="indexed", workers=1))
    brute, indexed = case_summary(demo_store, "brute"), case_summary(demo_store, "indexed")
    assert indexed.perceptual_total == brute.perceptual_total == demo.expected["perceptual"]
    assert indexed.perceptual == brute.perceptual
    assert any(p.name == "pdq" for p in (Path(os.environ["VIGIL_HOME"]) / "index").rglob("pdq"))
