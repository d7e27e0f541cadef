"""A demo case matched against two copies of the demo set."""

from __future__ import annotations

from pathlib import Path

import pytest
from frozen_helpers import CASE

from vigil.demo.evidence import DemoLayout, build_demo
from vigil.hashsets import library
from vigil.scan.pipeline import ScanOptions, run_scan
from vigil.store.engine import Store


@pytest.fixture
def demo(tmp_path: Path) -> DemoLayout:
    """The demo files, freshly generated."""
    return build_demo(tmp_path / "demo")


@pytest.fixture
def two_sets(store: Store, demo: DemoLayout) -> Store:
    """CASE scanned against "set-one" and "set-two" (the same demo list) and a known-good list.

    Every hit is in both sets and both agree: no conflicts.
    """
    library.import_file(store, demo.vics, "set-one")
    library.import_file(store, demo.vics, "set-two")
    library.import_file(store, demo.known_good, "known-good", known_good=True)
    run_scan(store, [demo.evidence], ScanOptions(case=CASE, examiner="DC Test", workers=1))
    return store
