"""Opening the database: engine set-up, SQLite pragmas, and explicit schema upgrades.

A brand-new, empty database is created at head without asking. An existing store
with an older schema is never upgraded as a side effect of some other command: it
stops with one line naming ``vigil db upgrade``, which backs a SQLite store up first.
A store newer than this Vigil is refused (there are no downgrades)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
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
from vigil.errors import NotFoundError, SchemaError, StoreError

MIGRATIONS = Path(__file__).with_name("migrations")

HEAD_REVISION = "0011"
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


UPGRADE_HINT = "run `vigil db upgrade` (it backs up a SQLite store first)"


@dataclass(frozen=True)
class SchemaStatus:
    """Where a store's schema stands against this Vigil's migrations."""

    current: str | None
    """The store's revision (None: an empty database, nothing created yet)."""
    head: str
    pending: tuple[str, ...]
    """Revisions an upgrade would apply, oldest first."""
    newer: bool
    """The store is at a revision this Vigil does not know (made by a newer Vigil)."""

    @property
    def state(self) -> str:
        """``up to date``, ``empty``, ``needs upgrade`` or ``newer than this Vigil``."""
        if self.newer:
            return "newer than this Vigil"
        if self.current is None:
            return "empty"
        return "needs upgrade" if self.pending else "up to date"


@dataclass(frozen=True)
class UpgradeResult:
    """What ``upgrade_store`` did."""

    before: str | None
    after: str
    applied: tuple[str, ...]
    backup: Path | None


def open_store(url: str | None = None) -> Store:
    """Open the store at ``url`` (or the configured default), creating an empty one at head.

    Raises SchemaError when the store needs ``vigil db upgrade`` or is newer than this Vigil.
    """
    url = url or database_url()
    engine = _make_engine(url)
    try:
        _check_or_create(engine)
    except SQLAlchemyError as exc:
        engine.dispose()
        raise StoreError(f"cannot open database {_safe(url)}: {_first_line(exc)}") from exc
    except SchemaError:
        engine.dispose()
        raise
    return Store(engine)


def schema_status(url: str | None = None) -> SchemaStatus:
    """The schema state of the store at ``url``, changing nothing (not even creating it)."""
    url = url or database_url()
    path = sqlite_path(url)
    if path is not None and not path.exists():
        return SchemaStatus(None, HEAD_REVISION, (), newer=False)
    engine = _make_engine(url)
    try:
        with engine.connect() as conn:
            return _status(conn, _current_revision(conn))
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot open database {_safe(url)}: {_first_line(exc)}") from exc
    finally:
        engine.dispose()


def upgrade_store(url: str | None = None, *, backup_dir: Path | None = None) -> UpgradeResult:
    """Bring the store at ``url`` to head; a SQLite store is copied to a backup first.

    The backup (SQLite's online backup API, consistent even in WAL mode) goes next to the
    database, or into ``backup_dir``, as ``<name>.before-<rev>-<UTC time>.db``. A
    PostgreSQL store is not backed up here: the caller says how (``pg_dump``) first.
    """
    url = url or database_url()
    engine = _make_engine(url)
    try:
        with engine.connect() as conn:
            status = _status(conn, _current_revision(conn))
        if status.newer:
            raise SchemaError(_newer_message(status))
        backup = None
        if status.pending and status.current is not None and engine.dialect.name == "sqlite":
            backup = _sqlite_backup(url, status.current, backup_dir)
        if status.pending:
            _alembic_upgrade(engine)
        return UpgradeResult(status.current, status.head, status.pending, backup)
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot upgrade database {_safe(url)}: {_first_line(exc)}") from exc
    finally:
        engine.dispose()


def sqlite_path(url: str) -> Path | None:
    """The file of a ``sqlite:///`` URL (None: not a SQLite file URL)."""
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        return Path(url.removeprefix("sqlite:///"))
    return None


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


def _check_or_create(engine: Engine) -> None:
    with engine.connect() as conn:
        current = _current_revision(conn)
        if current == HEAD_REVISION:
            return  # the common case, decided without importing Alembic
        if current is None and inspect(conn).get_table_names():
            raise SchemaError(
                "the database has tables but no Vigil schema revision: not a Vigil store"
            )
        status = _status(conn, current)
    if status.newer:
        raise SchemaError(_newer_message(status))
    if status.current is None:
        _alembic_upgrade(engine)  # brand new and empty: nothing to lose, create at head
        return
    if status.pending:
        raise SchemaError(
            f"the database schema is at revision {status.current}, this Vigil needs "
            f"{status.head}: {UPGRADE_HINT}"
        )


def _status(conn: Connection, current: str | None) -> SchemaStatus:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(_alembic_config(conn))
    head = script.get_current_head()
    if head is None:
        raise StoreError(f"no migrations under {MIGRATIONS}")
    chain = [s.revision for s in script.walk_revisions()]  # newest first
    chain.reverse()
    if current is not None and current not in chain:
        return SchemaStatus(current, head, (), newer=True)
    done = chain.index(current) + 1 if current is not None else 0
    return SchemaStatus(current, head, tuple(chain[done:]), newer=False)


def _newer_message(status: SchemaStatus) -> str:
    return (
        f"the database is at schema revision {status.current}, newer than this Vigil "
        f"knows (its newest is {status.head}); downgrades are refused: install the "
        "Vigil that made it"
    )


def _alembic_upgrade(engine: Engine) -> None:
    from alembic import command

    with engine.begin() as conn:
        command.upgrade(_alembic_config(conn), "head")


def _sqlite_backup(url: str, revision: str, backup_dir: Path | None) -> Path:
    source = sqlite_path(url)
    if source is None:
        raise StoreError(f"cannot back up {_safe(url)}: not a SQLite file")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    folder = backup_dir or source.parent
    target = folder / f"{source.stem}.before-{revision}-{stamp}.db"
    if target.exists():
        raise StoreError(f"backup {target} already exists; try again in a second")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
            src.backup(dst)
    except (OSError, sqlite3.Error) as exc:
        target.unlink(missing_ok=True)
        raise StoreError(f"cannot back up {source} to {target}: {exc}") from exc
    return target


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
