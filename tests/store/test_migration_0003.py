"""Revision 0003 (review app tables) upgrades a 0002 database and matches schema.py."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext

from vigil.store.engine import HEAD_REVISION, MIGRATIONS, Store, open_store, upgrade_store
from vigil.store.schema import metadata

REVIEW_TABLES = {"user_account", "web_session", "case_assignment", "grade", "exposure"}


def _upgrade_to(url: str, revision: str) -> None:
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
    engine.dispose()


def test_0002_database_upgrades_to_0003_keeping_its_rows(db_url: str) -> None:
    _upgrade_to(db_url, "0002")
    engine = sa.create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "insert into case_ (name, scheme, created_at, created_by) "
                "values ('op-kestrel', 'uk', :at, 'dc-1')"
            ),
            {"at": datetime.now(UTC)},
        )
        assert not REVIEW_TABLES & set(sa.inspect(conn).get_table_names())
    engine.dispose()

    upgrade_store(db_url)  # an older store is upgraded only when asked
    store = open_store(db_url)
    try:
        with store.connect() as conn:
            tables = set(sa.inspect(conn).get_table_names())
            names = conn.execute(sa.text("select name from case_")).scalars().all()
            version = conn.execute(sa.text("select version_num from alembic_version")).scalar()
    finally:
        store.close()
    assert tables >= REVIEW_TABLES
    assert names == ["op-kestrel"]
    assert version == HEAD_REVISION


def test_0003_tables_match_schema_py(store: Store) -> None:
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)

    def touches_review_table(change: object) -> bool:
        text = repr(change)
        return any(f"'{name}'" in text or f"{name}." in text for name in REVIEW_TABLES)

    assert [change for change in diff if touches_review_table(change)] == []


def test_0003_downgrades_cleanly(db_url: str) -> None:
    open_store(db_url).close()
    engine = sa.create_engine(db_url)
    with engine.begin() as conn:
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0002")
        assert not REVIEW_TABLES & set(sa.inspect(conn).get_table_names())
    engine.dispose()
