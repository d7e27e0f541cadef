"""A clean Debian documentation tree stays (almost) free of indicator findings."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from vigil.indicators.findings import case_findings
from vigil.scan.pipeline import ScanOptions, run_scan
from vigil.store.engine import Store, open_store

CLEAN_TREE = Path("/usr/share/doc")
"""~5,000 files (~130 MB) on the Debian test machines: ~25 s with 2 workers."""

ALLOWED = {
    # Owner-password PDFs (printing/copying restrictions only) are encrypted for real.
    "enc-pdf-protected",
    # Editors leave a few bytes after IEND/EOI now and then; a clean system has no archives there.
    "conceal-appended-data",
    # Archives named by their own format's extension (.whl, .egg …) on a Python system.
    "conceal-renamed-container",
}
MAX_FINDINGS = 5


@pytest.fixture
def sqlite_store(vigil_home: Path) -> Iterator[Store]:
    """SQLite only: the question is the rules, not the database."""
    store = open_store(f"sqlite:///{vigil_home / 'fp.db'}")
    try:
        yield store
    finally:
        store.close()


@pytest.mark.skipif(not CLEAN_TREE.is_dir(), reason=f"{CLEAN_TREE} is not on this machine")
def test_a_clean_documentation_tree_gives_at_most_a_few_listed_findings(
    sqlite_store: Store,
) -> None:
    run_scan(sqlite_store, [CLEAN_TREE], ScanOptions(case="clean", workers=2))
    found = case_findings(sqlite_store, "clean")
    unexpected = [(f["rule_id"], f["item"]) for f in found if f["rule_id"] not in ALLOWED]
    assert unexpected == []
    assert len(found) <= MAX_FINDINGS
