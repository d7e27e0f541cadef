"""The store opens, migrates once, and reports bad URLs as one clear error."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from vigil.errors import StoreError
from vigil.store.engine import HEAD_REVISION, Store, open_store


def test_fresh_store_is_at_head_with_all_tables(store: Store) -> None:
    tables = set(sa.inspect(store.engine).get_table_names())
    assert {
        "hashset",
        "hashset_version",
        "hash_entry",
        "case_",
        "scan_run",
        "item",
        "audit_log",
        "finding",
    } <= tables
    with store.connect() as conn:
        version = conn.execute(sa.text("select version_num from alembic_version")).scalar_one()
    assert version == HEAD_REVISION


def test_reopening_does_not_migrate_again(db_url: str) -> None:
    open_store(db_url).close()
    again = open_store(db_url)
    with again.connect() as conn:
        rows = conn.execute(sa.text("select count(*) from alembic_version")).scalar_one()
    again.close()
    assert rows == 1


def test_sqlite_uses_wal(vigil_home: Path) -> None:
    store = open_store()
    with store.connect() as conn:
        mode = conn.execute(sa.text("PRAGMA journal_mode")).scalar_one()
    store.close()
    assert mode == "wal"
    assert (vigil_home / "vigil.db").exists()


def test_unknown_driver_is_a_store_error() -> None:
    with pytest.raises(StoreError, match="bad database URL"):
        open_store("nosuchdb://x/y")


def test_unreachable_server_is_a_store_error() -> None:
    with pytest.raises(StoreError, match="cannot open database"):
        open_store("postgresql+psycopg://nobody:secret@127.0.0.1:1/none?connect_timeout=2")


def test_password_is_not_shown_in_errors() -> None:
    with pytest.raises(StoreError) as info:
        open_store("postgresql+psycopg://nobody:hunter2@127.0.0.1:1/none?connect_timeout=2")
    assert "hunter2" not in str(info.value)


def test_newer_schema_is_refused(vigil_home: Path) -> None:
    store = open_store()
    with store.begin() as conn:
        conn.execute(sa.text("update alembic_version set version_num = '9999'"))
    store.close()
    with pytest.raises(StoreError, match="newer than this Vigil"):
        open_store()


def test_head_revision_constant_is_alembics_head() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from vigil.store.engine import HEAD_REVISION, MIGRATIONS

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(cfg).get_current_head() == HEAD_REVISION
