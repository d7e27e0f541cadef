"""Revision 0011 (user_settings) upgrades a 0010 database; settings are kept per officer
and go with the account."""

from __future__ import annotations

import sqlalchemy as sa
from test_migration_0003 import _upgrade_to

from vigil.accounts import users
from vigil.store.engine import HEAD_REVISION, open_store, upgrade_store
from vigil.store.schema import user_account
from vigil.web import user_settings


def test_0010_database_gains_user_settings(db_url: str) -> None:
    _upgrade_to(db_url, "0010")
    engine = sa.create_engine(db_url)
    with engine.connect() as conn:
        assert not sa.inspect(conn).has_table("user_settings")
    engine.dispose()
    upgrade_store(db_url)
    store = open_store(db_url)
    try:
        uid = users.add_user(store, "kim", "examiner", "correct horse battery", "test").id
        with store.begin() as conn:
            version = conn.execute(sa.text("select version_num from alembic_version")).scalar()
            assert version == HEAD_REVISION
            user_settings.save(conn, uid, {"key.grade_A": "1"})
        with store.connect() as conn:
            assert user_settings.load(conn, uid)["key.grade_A"] == "1"
        with store.begin() as conn:  # the settings go with the account
            conn.execute(sa.delete(user_account).where(user_account.c.id == uid))
        with store.connect() as conn:
            left = conn.execute(sa.select(sa.func.count()).select_from(user_settings.user_settings))
            assert left.scalar() == 0
    finally:
        store.close()
