"""Opening the database: engine set-up, SQLite pragmas and migrations to head."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    CursorResult,
    Engine,
    Row,
    Table,
    create_engine,
    event,
    inspect,
    select,
    text,
)
from sqlalchemy.exc import SQLAlchemyError

from vigil.config import database_url
from vigil.errors import NotFoundError, StoreError

MIGRATIONS = Path(__file__).with_name("migrations")

HEAD_REVISION = "0010"
"""The newest migration's revision (a test keeps it equal to Alembic's head).

Knowing it lets a database already at head open without importing Alembic,
which is most of a command's start-up time."""


class Store:
    """A migrated database: hash library and cases, SQLite or PostgreSQL."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.engine.dialect.name

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """A transaction: committed on success, rolled back on any exception."""
        try:
            with self.engine.begin() as conn:
                yield conn
        except SQLAlchemyError as exc:
            raise StoreError(f"database error: {_first_line(exc)}") from exc

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A connection for reading."""
        try:
            with self.engine.connect() as conn:
                yield conn
        except SQLAlchemyError as exc:
            raise StoreError(f"database error: {_first_line(exc)}") from exc

    def close(self) -> None:
        """Release pooled connections."""
        self.engine.dispose()


def inserted_id(result: CursorResult[Any]) -> int:
    """The primary key of the row a single INSERT made."""
    key = result.inserted_primary_key
    if key is None:
        raise RuntimeError("not the result of a single-row INSERT")
    return int(key[0])


def row_by_name(conn: Connection, table: Table, name: str, what: str, none: str) -> Row[Any]:
    """The row of ``table`` whose ``name`` is ``name``; NotFoundError lists the known names.

    ``what`` names the kind of thing ("hash set"), ``none`` is said when there are none.
    """
    row = conn.execute(select(table).where(table.c.name == name)).first()
    if row is None:
        names = conn.execute(select(table.c.name).order_by(table.c.name)).scalars().all()
        known = ", ".join(names) if names else none
        raise NotFoundError(f"no {what} named {name!r} (known: {known})")
    return row


def open_store(url: str | None = None) -> Store:
    """Open (and create or migrate) the store at ``url`` or the configured default."""
    url = url or database_url()
    engine = _make_engine(url)
    try:
        _upgrade(engine)
    except SQLAlchemyError as exc:
        engine.dispose()
        raise StoreError(f"cannot open database {_safe(url)}: {_first_line(exc)}") from exc
    return Store(engine)


def _make_engine(url: str) -> Engine:
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create {path.parent}: {exc.strerror}") from exc
    try:
        engine = create_engine(url, future=True)
    except (SQLAlchemyError, ImportError, ValueError) as exc:
        raise StoreError(f"bad database URL {_safe(url)}: {_first_line(exc)}") from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # WAL lets readers (report, web app) work while a scan writes; NORMAL
    # sync is durable across process kills (not power loss mid-commit).
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    # 128 MiB page cache: index inserts of a multi-million-row import stay in memory
    # far longer (SQLite's default is 2 MiB).
    cur.execute("PRAGMA cache_size=-131072")
    cur.close()


def _alembic_config(conn: Connection) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = conn
    return cfg


def _current_revision(conn: Connection) -> str | None:
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _upgrade(engine: Engine) -> None:
    with engine.connect() as conn:
        if _current_revision(conn) == HEAD_REVISION:
            return
    from alembic import command
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    with engine.begin() as conn:
        cfg = _alembic_config(conn)
        head = ScriptDirectory.from_config(cfg).get_current_head()
        current = MigrationContext.configure(conn).get_current_revision()
        if current == head:
            return
        known = {s.revision for s in ScriptDirectory.from_config(cfg).walk_revisions()}
        if current is not None and current not in known:
            raise StoreError(
                f"the database is at schema revision {current}, newer than this Vigil "
                "knows; upgrade Vigil"
            )
        command.upgrade(cfg, "head")


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc)
    return text.strip().splitlines()[0] if text.strip() else type(exc).__name__


def _safe(url: str) -> str:
    """The URL without a password, for messages."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        user = creds.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}"
    return url
