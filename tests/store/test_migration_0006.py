"""Revision 0006 (login_brake) upgrades a 0004 database; the brake works on it."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from test_migration_0003 import _upgrade_to

from vigil.accounts import brake
from vigil.accounts.brake import BrakePolicy
from vigil.store.engine import HEAD_REVISION, open_store, upgrade_store


def test_0004_database_gains_an_empty_login_brake(db_url: str) -> None:
    _upgrade_to(db_url, "0004")
    engine = sa.create_engine(db_url)
    with engine.connect() as conn:
        assert not sa.inspect(conn).has_table("login_brake")
    engine.dispose()
    upgrade_store(db_url)  # an older store is upgraded only when asked
    store = open_store(db_url)
    try:
        with store.connect() as conn:
            version = conn.execute(sa.text("select version_num from alembic_version")).scalar()
            rows = conn.execute(sa.text("select count(*) from login_brake")).scalar()
        assert (version, rows) == (HEAD_REVISION, 0)
        with store.begin() as conn:
            assert brake.reserve(conn, "192.0.2.1", BrakePolicy(), datetime.now(UTC))
    finally:
        store.close()
