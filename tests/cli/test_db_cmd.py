"""``vigil db status`` / ``vigil db upgrade``: explicit schema upgrades, backup first."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa

from vigil.cli.exit_codes import ExitCode
from vigil.cli.main import run
from vigil.store.engine import HEAD_REVISION, MIGRATIONS, open_store, schema_status


def _upgrade_to(url: str, revision: str) -> None:
    """Bring a database to ``revision`` with Alembic directly (as an older Vigil left it)."""
    from alembic import command
    from alembic.config import Config

    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
    engine.dispose()


def old_store(vigil_home: Path, revision: str = "0002") -> Path:
    """A SQLite store left at an older revision, holding one case."""
    path = vigil_home / "vigil.db"
    _upgrade_to(f"sqlite:///{path}", revision)
    with sqlite3.connect(path) as conn:
        conn.execute(
            "insert into case_ (name, scheme, created_at, created_by) "
            "values ('op-kestrel', 'uk', '2026-01-01 00:00:00', 'dc-1')"
        )
    return path


def revision_of(path: Path) -> str:
    with sqlite3.connect(path) as conn:
        return str(conn.execute("select version_num from alembic_version").fetchone()[0])


def test_a_command_on_an_old_store_stops_with_one_line(
    vigil_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = old_store(vigil_home)
    assert run(["case", "list"]) == ExitCode.FAILURE
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"vigil: error: the database schema is at revision 0002, this Vigil needs "
        f"{HEAD_REVISION}: run `vigil db upgrade` (it backs up a SQLite store first)"
    ]
    assert revision_of(path) == "0002"  # nothing was changed


def test_status_says_what_is_pending(vigil_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = old_store(vigil_home)
    assert run(["db", "status", "--json"]) == ExitCode.OK
    status = json.loads(capsys.readouterr().out)
    assert status["current"] == "0002"
    assert status["head"] == HEAD_REVISION
    assert status["state"] == "needs upgrade"
    assert status["pending"][0] == "0003"
    assert status["pending"][-1] == HEAD_REVISION
    assert revision_of(path) == "0002"


def test_status_of_no_database_creates_nothing(
    vigil_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["db", "status"]) == ExitCode.OK
    assert "State: empty" in capsys.readouterr().out
    assert not (vigil_home / "vigil.db").exists()


def test_upgrade_backs_up_then_upgrades_keeping_rows(
    vigil_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = old_store(vigil_home)
    assert run(["db", "upgrade"]) == ExitCode.OK
    out = capsys.readouterr().out
    backups = list(vigil_home.glob("vigil.before-0002-*.db"))
    assert len(backups) == 1
    assert f"Backup written: {backups[0]}" in out
    assert f"Schema upgraded from 0002 to {HEAD_REVISION}" in out
    assert revision_of(backups[0]) == "0002"  # the backup is the store as it was
    with sqlite3.connect(backups[0]) as conn:
        assert conn.execute("select name from case_").fetchall() == [("op-kestrel",)]
    assert revision_of(path) == HEAD_REVISION
    assert run(["case", "list"]) == ExitCode.OK
    assert "op-kestrel" in capsys.readouterr().out
    assert run(["db", "upgrade"]) == ExitCode.OK
    assert "nothing to do" in capsys.readouterr().out


def test_newer_store_is_refused_by_upgrade_and_commands(
    vigil_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    open_store().close()
    path = vigil_home / "vigil.db"
    with sqlite3.connect(path) as conn:
        conn.execute("update alembic_version set version_num = '9999'")
    for argv in (["db", "upgrade"], ["case", "list"]):
        assert run(argv) == ExitCode.FAILURE
        err = capsys.readouterr().err
        assert "newer than this Vigil" in err
        assert "downgrades are refused" in err
    assert run(["db", "status"]) == ExitCode.OK
    assert "State: newer than this Vigil" in capsys.readouterr().out
    assert revision_of(path) == "9999"


def test_fresh_store_is_made_at_head_without_asking(db_url: str) -> None:
    open_store(db_url).close()
    status = schema_status(db_url)
    assert (status.current, status.state) == (HEAD_REVISION, "up to date")


def test_postgresql_upgrade_asks_for_a_dump_first(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("the pg_dump advice is for PostgreSQL stores")
    _upgrade_to(db_url, "0002")
    assert run(["--db", db_url, "db", "upgrade"]) == ExitCode.USAGE
    assert "pg_dump -Fc" in capsys.readouterr().err
    assert schema_status(db_url).current == "0002"
    assert run(["--db", db_url, "db", "upgrade", "--backed-up"]) == ExitCode.OK
    assert schema_status(db_url).current == HEAD_REVISION
