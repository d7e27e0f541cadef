"""Revision 0005 (exhibits) names every existing evidence row as the reports did, keeping items."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from test_migration_0003 import _upgrade_to

from vigil.store.engine import open_store, upgrade_store

_RUN = (
    "insert into scan_run (id, case_id, examiner, host, status, started_at, resumed_count,"
    " elapsed_s, params, versions, hashsets)"
    " values (:id, :case, 'dc-1', 'h', 'complete', :at, 0, 1.0, '{}', '{}', '[]')"
)
_EVIDENCE = (
    "insert into evidence (id, run_id, ordinal, path, path_bytes, kind, sha256, size)"
    " values (:id, :run, :ordinal, :path, :raw, 'folder', :sha, :size)"
)


def _seed(url: str) -> None:
    engine = sa.create_engine(url)
    at = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    with engine.begin() as conn:
        for case_id, name in ((1, "one-run"), (2, "two-runs")):
            conn.execute(
                sa.text(
                    "insert into case_ (id, name, scheme, created_at, created_by)"
                    " values (:id, :name, 'uk', :at, 'dc-1')"
                ),
                {"id": case_id, "name": name, "at": at},
            )
        for run_id, case_id in ((1, 1), (2, 2), (3, 2)):
            conn.execute(sa.text(_RUN), {"id": run_id, "case": case_id, "at": at})
        for ev_id, run_id, ordinal, sha in (
            (1, 1, 1, None),
            (2, 1, 2, "ab" * 32),
            (3, 2, 1, None),
            (4, 3, 1, None),
        ):
            path = f"/ev/{ev_id}"
            conn.execute(
                sa.text(_EVIDENCE),
                {
                    "id": ev_id,
                    "run": run_id,
                    "ordinal": ordinal,
                    "path": path,
                    "raw": path.encode(),
                    "sha": sha,
                    "size": 7 if sha else None,
                },
            )
        conn.execute(
            sa.text(
                "insert into item (run_id, evidence_id, locator, display, name, depth, kind,"
                " status, location, review, ext_mismatch)"
                " values (1, 2, 'k', 'd', 'n', 0, 'file', 'ok', 'live', 'none', false)"
            )
        )
    engine.dispose()


def test_existing_evidence_gets_the_references_reports_printed(db_url: str) -> None:
    _upgrade_to(db_url, "0004")
    _seed(db_url)
    upgrade_store(db_url)  # an older store is upgraded only when asked
    store = open_store(db_url)
    try:
        with store.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "select e.id, x.reference, x.case_id, x.path, x.sha256, x.size, x.created_by"
                    " from evidence e join exhibit x on x.id = e.exhibit_id order by e.id"
                )
            ).all()
            items = conn.execute(sa.text("select evidence_id from item")).scalars().all()
    finally:
        store.close()
    assert [tuple(r) for r in rows] == [
        (1, "Exhibit 1", 1, "/ev/1", None, None, "dc-1"),
        (2, "Exhibit 2", 1, "/ev/2", "ab" * 32, 7, "dc-1"),
        (3, "Run 2 exhibit 1", 2, "/ev/3", None, None, "dc-1"),
        (4, "Run 3 exhibit 1", 2, "/ev/4", None, None, "dc-1"),
    ]
    assert items == [2]
