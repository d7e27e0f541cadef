"""Scanned cases for the vigil.cases tests: a small one (inventory), the demo (frozen results)."""

from __future__ import annotations

from pathlib import Path

import frozen_helpers
import inventory_fixture
import pytest
from inventory_fixture import InventoryCase, build_evidence

from vigil.demo.evidence import DemoLayout, build_demo
from vigil.hashsets import library
from vigil.scan.pipeline import ScanOptions, run_scan
from vigil.store.engine import Store


@pytest.fixture
def inventory_case(store: Store, tmp_path: Path) -> InventoryCase:
    """The evidence scanned into the inventory CASE, on SQLite and PostgreSQL."""
    evidence = build_evidence(tmp_path)
    options = ScanOptions(case=inventory_fixture.CASE, examiner="DC Test", workers=1)
    run_scan(store, [evidence], options)
    return InventoryCase(store, evidence, evidence / "bundle.zip")


@pytest.fixture
def demo(tmp_path: Path) -> DemoLayout:
    """The demo files, freshly generated."""
    return build_demo(tmp_path / "demo")


@pytest.fixture
def two_sets(store: Store, demo: DemoLayout) -> Store:
    """The frozen-results CASE scanned against "set-one" and "set-two" (the same demo list)
    and a known-good list. Every hit is in both sets and both agree: no conflicts.
    """
    library.import_file(store, demo.vics, "set-one")
    library.import_file(store, demo.vics, "set-two")
    library.import_file(store, demo.known_good, "known-good", known_good=True)
    options = ScanOptions(case=frozen_helpers.CASE, examiner="DC Test", workers=1)
    run_scan(store, [demo.evidence], options)
    return store
