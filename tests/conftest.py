"""Shared fixtures: an isolated VIGIL_HOME and a store on SQLite or PostgreSQL."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from vigil.store.engine import Store, open_store

PG_URL = os.environ.get("VIGIL_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _pg_reachable() -> str | None:
    """None when the test PostgreSQL server answers, else why not."""
    try:
        engine = sa.create_engine(PG_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(sa.text("select 1"))
        engine.dispose()
    except Exception as exc:
        return f"PostgreSQL at {PG_URL} not reachable: {str(exc).splitlines()[0]}"
    return None


_PG_PROBLEM: str | bool | None = False


def pg_problem() -> str | None:
    """Cached reachability of the test PostgreSQL server."""
    global _PG_PROBLEM
    if _PG_PROBLEM is False:
        _PG_PROBLEM = _pg_reachable()
    return _PG_PROBLEM if isinstance(_PG_PROBLEM, str) else None


@pytest.fixture(autouse=True)
def vigil_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own VIGIL_HOME and no inherited database URL."""
    home = tmp_path / "vigil-home"
    monkeypatch.setenv("VIGIL_HOME", str(home))
    monkeypatch.delenv("VIGIL_DATABASE_URL", raising=False)
    monkeypatch.setenv("VIGIL_USER", "test-examiner")
    return home


@pytest.fixture(autouse=True)
def no_compactor_left_behind() -> Iterator[None]:
    """A test that set off a background index compaction waits for it to end.

    Otherwise the compactor outlives the test's temporary folder, and Python
    warns at exit about the still-running subprocess.
    """
    yield
    from vigil.matching import compactor

    for process in compactor._launched:
        process.wait(timeout=300)
    compactor._launched.clear()


def pg_url_for_new_schema() -> tuple[str, str]:
    """A URL whose search_path is a fresh, empty schema; returns (url, schema)."""
    schema = f"vigil_test_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    sep = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{sep}options=-csearch_path%3D{schema}", schema


def drop_pg_schema(schema: str) -> None:
    """Remove a schema made by :func:`pg_url_for_new_schema`."""
    engine = sa.create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()


DATABASES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def _database_url(kind: str, sqlite_file: Path) -> Iterator[str]:
    """A URL of ``kind``: the SQLite file given, or a fresh PostgreSQL schema dropped after."""
    if kind == "sqlite":
        yield f"sqlite:///{sqlite_file}"
        return
    problem = pg_problem()
    if problem:
        pytest.skip(problem)
    url, schema = pg_url_for_new_schema()
    try:
        yield url
    finally:
        drop_pg_schema(schema)


@pytest.fixture(params=DATABASES)
def db_url(request: pytest.FixtureRequest, vigil_home: Path) -> Iterator[str]:
    """A database URL: SQLite under VIGIL_HOME, or a fresh PostgreSQL schema."""
    yield from _database_url(request.param, vigil_home / "vigil.db")


@pytest.fixture(scope="module", params=DATABASES)
def module_db_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """Like :func:`db_url`, once per test module (for a costly scan the module's tests share)."""
    yield from _database_url(request.param, tmp_path_factory.mktemp("store") / "vigil.db")


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    """A migrated, empty store on each supported database."""
    opened = open_store(db_url)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def host_13_hours_east(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The process's local zone is UTC+13 (a POSIX TZ string: no zone database needed)."""
    monkeypatch.setenv("TZ", "XYZ-13")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()
