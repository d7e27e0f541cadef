"""The full inventory of a case, on SQLite and PostgreSQL: every item (empty files, plain
documents, folders, errors) with its locator, size, time, hashes, status and reason; filters;
the audited export."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import sqlalchemy as sa
from inventory_fixture import CASE, InventoryCase, build_evidence

from vigil.audit import case_scope, entries
from vigil.cases.case import get_case
from vigil.cases.exhibits import ExhibitRequest
from vigil.cases.inventory import InventoryFilter, export_inventory, inventory_items
from vigil.cases.inventory_model import InventoryItem
from vigil.errors import NotFoundError, UsageError
from vigil.reports import build_report
from vigil.scan.pipeline import ScanOptions, run_scan
from vigil.store.schema import item

EMPTY_MD5 = "d41d8cd98f00b204e9800998ecf8427e"
EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def _items(case: InventoryCase, wanted: InventoryFilter | None = None) -> list[InventoryItem]:
    with case.store.connect() as conn:
        return list(inventory_items(conn, CASE, wanted))


def test_every_item_of_the_case_is_listed(inventory_case: InventoryCase) -> None:
    found = _items(inventory_case)
    with inventory_case.store.connect() as conn:
        stored = conn.execute(sa.select(sa.func.count()).select_from(item)).scalar_one()
        report = build_report(conn, CASE)
    assert len(found) == stored
    by_name = {i.name: i for i in found}
    assert {"exhibit", "empty-folder", "empty.dat", "notes.txt", "red.png", "broken.jpg"} <= set(
        by_name
    )
    assert {"bundle.zip", "readme.txt", "blue.png"} <= set(by_name)
    # The report lists neither the empty file nor the text document: the inventory does.
    reported = {r.name for r in [*report.hits, *report.unknown, *report.errors]}
    assert "empty.dat" not in reported and "notes.txt" not in reported

    empty = by_name["empty.dat"]
    assert (empty.size, empty.md5, empty.sha256, empty.status) == (0, EMPTY_MD5, EMPTY_SHA256, "ok")
    assert empty.path == str(inventory_case.evidence / "empty.dat") and empty.on_host
    assert empty.mtime is not None and empty.mtime.utcoffset() is not None

    notes = by_name["notes.txt"]
    data = (inventory_case.evidence / "notes.txt").read_bytes()
    assert notes.sha256 == hashlib.sha256(data).hexdigest() and notes.size == len(data)
    assert notes.sha1 == hashlib.sha1(data).hexdigest() and notes.kind == "file"

    broken = by_name["broken.jpg"]
    assert broken.status == "error" and broken.reason and "decoded" in broken.reason

    folder = by_name["empty-folder"]
    assert (folder.kind, folder.md5, folder.reason) == ("dir", None, None)

    member = by_name["readme.txt"]
    assert not member.on_host and member.location == "archive" and member.depth == 1
    assert member.path == member.locator and member.locator.endswith("zip:docs/readme.txt")
    assert member.sha256 == hashlib.sha256(b"inside the zip\n").hexdigest()
    assert {i.exhibit for i in found} == {"Exhibit 1"}


def test_filters_narrow_the_list(inventory_case: InventoryCase) -> None:
    errors = _items(inventory_case, InventoryFilter(statuses=("error",)))
    assert [i.name for i in errors] == ["broken.jpg"]
    images = _items(inventory_case, InventoryFilter(families=("image",)))
    assert sorted(i.name for i in images) == ["blue.png", "broken.jpg", "red.png"]
    members = _items(inventory_case, InventoryFilter(location="*bundle.zip → zip:*"))
    assert sorted(i.name for i in members) == ["blue.png", "readme.txt"]
    both = _items(inventory_case, InventoryFilter(families=("image",), location="* → *"))
    assert [i.name for i in both] == ["blue.png"]
    everything = _items(inventory_case)
    assert _items(inventory_case, InventoryFilter(exhibit="Exhibit 1")) == everything
    assert _items(inventory_case, InventoryFilter(exhibit="exhibit  1")) == everything
    with pytest.raises(NotFoundError, match="known: Exhibit 1"):
        _items(inventory_case, InventoryFilter(exhibit="Exhibit 9"))


def test_exhibit_filter_with_two_runs(inventory_case: InventoryCase, tmp_path: Path) -> None:
    second = build_evidence(tmp_path / "second")
    (second / "only-here.txt").write_text("second exhibit\n", encoding="utf-8")
    run_scan(inventory_case.store, [second], ScanOptions(case=CASE, workers=1))
    found = _items(inventory_case)
    assert {i.exhibit for i in found} == {"Exhibit 1", "Exhibit 2"}
    later = _items(inventory_case, InventoryFilter(exhibit="Exhibit 2"))
    assert "only-here.txt" in {i.name for i in later}
    assert {i.exhibit for i in later} == {"Exhibit 2"}
    assert _items(inventory_case, InventoryFilter(exhibit="2")) == later


def test_a_rescan_lists_the_exhibit_once(inventory_case: InventoryCase) -> None:
    """The inventory follows the report: only the counted (latest) scan of an exhibit."""
    before = _items(inventory_case)
    evidence_path = Path(inventory_case.evidence)
    run_scan(
        inventory_case.store,
        [evidence_path],
        ScanOptions(case=CASE, workers=1, exhibits=ExhibitRequest(rescan=True)),
    )
    after = _items(inventory_case)
    assert sorted(i.locator for i in after) == sorted(i.locator for i in before)
    assert {i.run_id for i in after} != {i.run_id for i in before}


def test_export_is_audited_with_its_hash(inventory_case: InventoryCase, tmp_path: Path) -> None:
    target = tmp_path / "out" / "items.csv"
    target.parent.mkdir()
    outcome = export_inventory(
        inventory_case.store, CASE, "csv", target, InventoryFilter(statuses=("ok",)), "DC Test"
    )
    data = target.read_bytes()
    assert outcome.sha256 == hashlib.sha256(data).hexdigest() and outcome.size_bytes == len(data)
    assert not list(target.parent.glob(".*partial"))
    with inventory_case.store.connect() as conn:
        log = list(entries(conn, case_scope(int(get_case(conn, CASE).id))))
    last = log[-1]
    assert (last.action, last.actor, last.seq) == ("case.items", "DC Test", outcome.audit_seq)
    assert last.detail is not None
    assert last.detail["sha256"] == outcome.sha256 and last.detail["items"] == outcome.items
    assert last.detail["filters"] == {"status": ["ok"]}


def test_export_refuses_to_write_into_the_evidence(inventory_case: InventoryCase) -> None:
    before = sorted(p.name for p in inventory_case.evidence.iterdir())
    with pytest.raises(UsageError, match="inside the evidence"):
        export_inventory(inventory_case.store, CASE, "csv", inventory_case.evidence / "x.csv")
    assert sorted(p.name for p in inventory_case.evidence.iterdir()) == before


def test_unknown_status_and_format_are_usage_errors(inventory_case: InventoryCase) -> None:
    with pytest.raises(UsageError, match="unknown status 'broken'"):
        export_inventory(
            inventory_case.store, CASE, "csv", Path("-"), InventoryFilter(statuses=("broken",))
        )
    with pytest.raises(UsageError, match="unknown inventory format 'xml'"):
        export_inventory(inventory_case.store, CASE, "xml", Path("-"))
