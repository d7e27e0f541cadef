"""Revision 0007 (frozen results) makes every existing run revision 1, with its set versions."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import sqlalchemy as sa
from test_migration_0003 import _upgrade_to

from vigil.cases.counting import case_summary
from vigil.store.engine import open_store, upgrade_store

AT = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def _legacy_case(conn: sa.Connection) -> None:
    """A 0004 database: two sets, one run, an item matched in both, one set removed since."""
    conn.execute(
        sa.text(
            "insert into hashset (id, name, scheme, known_good, created_at, revision) "
            "values (1, 'kept', 'uk', false, :at, 3)"
        ),
        {"at": AT},
    )
    conn.execute(
        sa.text(
            "insert into case_ (id, name, scheme, created_at, created_by) "
            "values (1, 'op-legacy', 'uk', :at, 'dc-1')"
        ),
        {"at": AT},
    )
    recorded = [
        {"id": 1, "name": "kept", "known_good": False, "scheme": "uk", "version": "v1",
         "source_sha256": "a" * 64, "format": "vics", "entry_count": 6,
         "imported_at": AT.isoformat()},
        {"id": 2, "name": "gone", "known_good": False, "scheme": "uk", "version": "v9",
         "source_sha256": "b" * 64, "format": "vics", "entry_count": 6,
         "imported_at": AT.isoformat()},
    ]  # fmt: skip
    conn.execute(
        sa.text(
            "insert into scan_run (id, case_id, examiner, host, status, started_at, "
            "resumed_count, elapsed_s, params, versions, hashsets) values "
            "(1, 1, 'dc-1', 'h', 'complete', :at, 0, 1.0, '{}', '{}', :sets)"
        ),
        {"at": AT, "sets": json.dumps(recorded)},
    )
    conn.execute(
        sa.text(
            "insert into evidence (id, run_id, ordinal, path, path_bytes, kind) "
            "values (1, 1, 1, '/ev', :raw, 'folder')"
        ),
        {"raw": b"/ev"},
    )
    conn.execute(
        sa.text(
            "insert into item (id, run_id, evidence_id, locator, display, name, depth, kind, "
            "status, location, family, ext_mismatch, review) values "
            "(1, 1, 1, 'k', '/ev/a.jpg', 'a.jpg', 1, 'file', 'ok', 'live', 'image', false, 'hit')"
        )
    )
    for set_id, name in ((1, "kept"), (2, "gone")):
        conn.execute(
            sa.text(
                "insert into match (item_id, hashset_id, hashset_name, entry_id, algorithm, "
                "distance, category, known_good, best) values "
                "(1, :set_id, :name, :set_id, 'md5', 0, 'A', false, false)"
            ),
            {"set_id": set_id, "name": name},
        )


def test_0004_case_upgrades_to_revision_1_with_its_recorded_sets(db_url: str) -> None:
    _upgrade_to(db_url, "0004")
    engine = sa.create_engine(db_url)
    with engine.begin() as conn:
        _legacy_case(conn)
    engine.dispose()
    upgrade_store(db_url)  # an older store is upgraded only when asked
    store = open_store(db_url)
    try:
        with store.connect() as conn:
            revisions = conn.execute(
                sa.text("select run_id, number, kind, created_by from result_revision")
            ).all()
            sets = conn.execute(
                sa.text(
                    "select name, version, source_sha256 from result_hashset_version order by name"
                )
            ).all()
            labels = conn.execute(
                sa.text("select hashset_name, category_label, result_id from match order by id")
            ).all()
        summary = case_summary(store, "op-legacy")
    finally:
        store.close()
    assert [tuple(r) for r in revisions] == [(1, 1, "scan", "dc-1")]
    assert [tuple(s) for s in sets] == [("gone", "v9", "b" * 64), ("kept", "v1", "a" * 64)]
    # Both hits get the label of the scheme the run recorded, the removed set's too.
    assert [(r[0], r[1]) for r in labels] == [("kept", "Category A"), ("gone", "Category A")]
    assert all(r[2] is not None for r in labels)
    assert summary.revision == 1 and summary.conflicts == 0
    assert summary.categories["Category A"].total.instances == 1
