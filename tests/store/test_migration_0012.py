"""Revision 0012 (video frames) keeps every existing hit, with no frame time, and can go back."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from test_migration_0003 import MIGRATIONS, _upgrade_to

from vigil.store.engine import upgrade_store

AT = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def _legacy_hit(conn: sa.Connection) -> None:
    conn.execute(
        sa.text(
            "insert into case_ (id, name, scheme, created_at, created_by) "
            "values (1, 'op-old', 'uk', :at, 'dc-1')"
        ),
        {"at": AT},
    )
    conn.execute(
        sa.text(
            "insert into scan_run (id, case_id, examiner, host, status, started_at, "
            "resumed_count, elapsed_s, params, versions, hashsets) values "
            "(1, 1, 'dc-1', 'h', 'complete', :at, 0, 1.0, '{}', '{}', :sets)"
        ),
        {"at": AT, "sets": json.dumps([])},
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
            "(1, 1, 1, 'k', '/ev/a.mp4', 'a.mp4', 1, 'file', 'ok', 'live', 'video', false, 'hit')"
        )
    )
    conn.execute(
        sa.text(
            "insert into result_revision (id, case_id, run_id, number, kind, created_at, "
            "created_by) values (1, 1, 1, 1, 'scan', :at, 'dc-1')"
        ),
        {"at": AT},
    )
    conn.execute(
        sa.text(
            "insert into match (item_id, result_id, hashset_id, hashset_name, entry_id, "
            "algorithm, distance, category, known_good, best) values "
            "(1, 1, 1, 'set', 1, 'md5', 0, 'A', false, true)"
        )
    )


def test_0010_store_upgrades_keeping_its_hits_and_goes_back(db_url: str) -> None:
    _upgrade_to(db_url, "0010")
    engine = sa.create_engine(db_url)
    with engine.begin() as conn:
        _legacy_hit(conn)
    engine.dispose()
    upgrade_store(db_url)
    engine = sa.create_engine(db_url)
    with engine.begin() as conn:
        row = conn.execute(sa.text("select algorithm, frame_s, detail from match")).one()
        assert (row.algorithm, row.frame_s, row.detail) == ("md5", None, None)
        frames = conn.execute(sa.text("select count(*) from video_frame")).scalar_one()
        assert frames == 0
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0010")
        tables = set(sa.inspect(conn).get_table_names())
        assert "video_frame" not in tables and "hash_entry_frame" not in tables
        assert conn.execute(sa.text("select count(*) from match")).scalar_one() == 1
    engine.dispose()
