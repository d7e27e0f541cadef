"""A scanned demo case for report tests, and helpers to put findings and evidence info in it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from vigil.demo.evidence import DemoLayout, build_demo
from vigil.hashsets import library
from vigil.reports import Report, build_report
from vigil.scan.pipeline import ScanOptions, run_scan
from vigil.store.engine import Store, open_store
from vigil.store.schema import evidence, finding, item, scan_run

CASE = "OP-DEMO"


def scan_demo(store: Store, layout: DemoLayout) -> None:
    """Import the demo sets and scan the demo evidence into CASE."""
    library.import_file(store, layout.vics, "demo-vics")
    library.import_file(store, layout.known_good, "demo-known-good", known_good=True)
    run_scan(store, [layout.evidence], ScanOptions(case=CASE, examiner="DC Test", workers=1))


def add_finding_and_info(store: Store) -> None:
    """Rows the indicators and disk-image work will write: a finding and E01 metadata."""
    with store.begin() as conn:
        run_id = conn.execute(sa.select(sa.func.max(scan_run.c.id))).scalar_one()
        encrypted = conn.execute(
            sa.select(item.c.id, item.c.locator).where(item.c.name == "private.zip")
        ).one()
        conn.execute(
            finding.insert().values(
                run_id=run_id,
                item_id=encrypted.id,
                rule_id="test.fixture-rule",
                family="concealment",
                severity="medium",
                description="Password-protected archive <b>not opened</b>",
                locators=[encrypted.locator],
                detail={"entries": 2},
            )
        )
        conn.execute(
            evidence.update()
            .where(evidence.c.run_id == run_id)
            .values(
                info={
                    "format": "ewf",
                    "acquisition": {"examiner_name": "DC Test", "case_number": "OP-1"},
                    "stored_hashes": {"md5": "0123456789abcdef0123456789abcdef"},
                    "segments": [{"name": "disk.E01", "size": 1024}],
                    "md5_verified": True,
                }
            )
        )


@pytest.fixture
def add_extras() -> Callable[[Store], None]:
    """The helper that adds a finding and E01 info to a scanned demo case."""
    return add_finding_and_info


@pytest.fixture
def demo(tmp_path: Path) -> DemoLayout:
    """The demo files, freshly generated."""
    return build_demo(tmp_path / "demo")


@pytest.fixture
def demo_case(store: Store, demo: DemoLayout) -> Store:
    """A store (SQLite and PostgreSQL) holding the scanned demo case CASE."""
    scan_demo(store, demo)
    return store


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Report, Any]]:
    """One scanned demo case on SQLite (with a finding and E01 info), its report and the store."""
    root = tmp_path_factory.mktemp("rendered")
    with pytest.MonkeyPatch.context() as patch:
        # Module scope runs before the per-test VIGIL_HOME: give this store its own.
        patch.setenv("VIGIL_HOME", str(root / "home"))
        patch.setenv("VIGIL_USER", "test-examiner")
        store = open_store(f"sqlite:///{root / 'vigil.db'}")
        try:
            scan_demo(store, build_demo(root / "demo"))
            add_finding_and_info(store)
            with store.connect() as conn:
                report = build_report(conn, CASE, "report-tester")
            yield report, store
        finally:
            store.close()
