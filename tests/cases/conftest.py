"""A small scanned case for the inventory tests (see ``inventory_fixture``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from inventory_fixture import CASE, InventoryCase, build_evidence

from vigil.scan.pipeline import ScanOptions, run_scan
from vigil.store.engine import Store


@pytest.fixture
def inventory_case(store: Store, tmp_path: Path) -> InventoryCase:
    """The evidence scanned into CASE, on SQLite and PostgreSQL."""
    evidence = build_evidence(tmp_path)
    run_scan(store, [evidence], ScanOptions(case=CASE, examiner="DC Test", workers=1))
    return InventoryCase(store, evidence, evidence / "bundle.zip")
