"""At 80 columns: tables fold identifiers instead of cutting them; the audit log stays readable."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from vigil.demo.imagegen import encode, make_picture
from vigil.hashsets import library
from vigil.scan.pipeline import ScanOptions, run_scan
from vigil.store.engine import Store

SET = "CEOP-national-graded-set-2026-11-30-full-export-with-pdq-v2"
CASE = "OP-2026-0042-north-west-regional-unit-exhibit-review"


def vigil_at_80(db_url: str, *argv: str) -> str:
    """Stdout of `vigil ARGV` in a terminal-sized 80 columns (a subprocess: rich reads COLUMNS)."""
    env = {**os.environ, "COLUMNS": "80", "VIGIL_DATABASE_URL": db_url}
    done = subprocess.run(
        [sys.executable, "-m", "vigil", *argv], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout


def table_cells(out: str, column: int) -> str:
    """The text of one column of a rich table, its folded lines joined again."""
    cells = [line.split("│")[column + 1].strip() for line in out.splitlines() if "│" in line]
    return "".join(cells)


@pytest.fixture
def long_names(store: Store, tmp_path: Path) -> Store:
    listing = tmp_path / "md5.txt"
    listing.write_text("".join(hashlib.md5(bytes([i])).hexdigest() + "\n" for i in range(3)))
    library.import_file(store, listing, SET)
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    (evidence / "a.jpg").write_bytes(encode(make_picture(3, (64, 48))))
    run_scan(store, [evidence], ScanOptions(case=CASE, workers=1))
    return store


def test_long_set_and_case_names_are_folded_not_cut(long_names: Store, db_url: str) -> None:
    sets = vigil_at_80(db_url, "hashset", "list")
    assert all(len(line) <= 80 for line in sets.splitlines())
    assert "…" not in sets
    assert table_cells(sets, 0) == SET
    cases = vigil_at_80(db_url, "case", "list")
    assert "…" not in cases
    assert table_cells(cases, 0) == CASE
    # The date of the last scan keeps its day whole (short words are not split).
    assert "2026-" not in [cell.strip() for cell in cases.split("│")]
    listed = json.loads(vigil_at_80(db_url, "hashset", "list", "--json"))
    assert [s["name"] for s in listed] == [SET]


def test_audit_show_is_readable_at_80_columns(long_names: Store, db_url: str) -> None:
    out = vigil_at_80(db_url, "audit", "show", CASE)
    lines = out.splitlines()
    assert all(len(line) <= 80 for line in lines), max(lines, key=len)
    assert "…" not in out and "┃" not in out
    chain = json.loads(vigil_at_80(db_url, "audit", "show", CASE, "--json"))
    # Every entry starts its own line with seq and action; its fields follow, one per line.
    for entry in chain:
        heads = [line for line in lines if line.split()[:1] == [str(entry["seq"])]]
        assert len(heads) == 1 and heads[0].endswith(entry["action"])
        assert f"      hash: {entry['entry_hash']}" in lines
    assert f"      target: {CASE}" in lines
    assert "      scheme: uk" in lines
    # A scan's parameters wrap under their key instead of filling a sliver of a column.
    params = next(i for i, line in enumerate(lines) if line.startswith("      params: {"))
    assert lines[params + 1].startswith("        ")
    glob = vigil_at_80(db_url, "audit", "show", "--global")
    assert f"      target: {SET}" in glob.splitlines()
