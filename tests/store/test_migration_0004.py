"""Revision 0004 (hashset.revision) upgrades a 0003 library; the schema matches schema.py."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from test_migration_0003 import _upgrade_to

from vigil.store.engine import Store, open_store, upgrade_store
from vigil.store.schema import metadata


def test_0003_library_upgrades_with_revision_zero(db_url: str) -> None:
    _upgrade_to(db_url, "0003")
    engine = sa.create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "insert into hashset (name, scheme, known_good, created_at) "
                "values ('caid', 'uk', false, :at)"
            ),
            {"at": datetime.now(UTC)},
        )
    engine.dispose()
    upgrade_store(db_url)  # an older store is upgraded only when asked
    store = open_store(db_url)
    try:
        with store.connect() as conn:
            rows = conn.execute(sa.text("select name, revision from hashset")).all()
    finally:
        store.close()
    assert [tuple(row) for row in rows] == [("caid", 0)]


def test_migrated_schema_matches_schema_py(store: Store) -> None:
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []
