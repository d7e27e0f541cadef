"""Open an SQLite artefact without touching the evidence, and read it within a budget.

Opening evidence in place would let SQLite create ``-wal``/``-shm``/``-journal``
files beside it (and replay a journal into it). The bytes the scan already
holds are written to a file only this user can read in the scan's private
folder and opened with ``mode=ro``. When the evidence's ``-wal`` file was
found beside the database, a copy of it goes beside the private copy, so
that records not yet checkpointed are read too (SQLite keeps its ``-shm``
in the private folder). Without one, the copy's header is switched from WAL
to rollback mode and the copy opened ``immutable``: no side file is needed.

The database was written by the suspect, so it is read as hostile:

* Only real tables are read (:func:`table_columns`). A name the parsers query
  that is a view (a recursive view never ends and fills a temp file), a
  virtual table or a shadow table is refused with :class:`LimitExceeded`.
  Triggers never run on reads; the connection is ``query_only`` as well, and
  :func:`trigger_names` lets a parser tell the examiner that some were there.
* A progress handler stops any statement after ``SQLITE_SECONDS`` or
  ``SQLITE_STEPS`` virtual-machine steps, or when the scan item's own
  deadline passes; the rows one query may return are capped too.
* Temporary tables and sorts stay in memory (no temp file can grow on disk);
  the page cache and the longest value are capped per connection, and the
  whole process's SQLite heap by a hard limit (``SQLITE_HEAP_BYTES``).
  SQLite only ever lowers that limit, and every database the process opens
  shares it: the scan's own store needs a few MiB of it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from vigil.sources.limits import ItemTimeout, LimitExceeded, MiB, current_deadline

_WAL_VERSION_OFFSETS = (18, 19)

SQLITE_SECONDS = 10.0
"""Wall-clock seconds for all statements on one artefact database together."""

SQLITE_STEPS = 500_000_000
"""Virtual-machine steps for one artefact database (about 2–5 s of work)."""

MAX_ROWS = 2_000_000
"""Rows one query may return; no browser keeps anywhere near this many downloads."""

SQLITE_CACHE_KIB = 32 * 1024
"""Page cache of one artefact connection (32 MiB)."""

SQLITE_MAX_VALUE_BYTES = 64 * MiB
"""The longest string or blob a row may hold."""

SQLITE_HEAP_BYTES = 512 * MiB
"""Hard limit on all SQLite memory of the process (in-memory sorts included)."""

_PROGRESS_EVERY = 10_000
"""Virtual-machine steps between two calls of the progress handler."""


class _Brake:
    """The progress handler: stops a statement once time, steps or the item's deadline run out."""

    def __init__(self, seconds: float, steps: int) -> None:
        self.at = time.monotonic() + seconds
        self.seconds = seconds
        self.calls_left = max(steps // _PROGRESS_EVERY, 1)
        self.steps = steps
        self.reason: str | None = None
        self.timed_out = False

    def __call__(self) -> int:
        self.calls_left -= 1
        if self.calls_left < 0:
            self.reason = f"more than {self.steps} SQLite steps"
        elif time.monotonic() >= self.at:
            self.reason = f"more than {self.seconds:g} s of SQLite work"
        else:
            deadline = current_deadline()
            if deadline is None or not deadline.passed():
                return 0
            self.reason, self.timed_out = deadline.reason, True
        return 1  # non-zero: SQLite interrupts the statement


@contextlib.contextmanager
def private_sqlite(
    data: bytes,
    tmp_dir: str | None,
    wal: bytes | None = None,
    *,
    seconds: float = SQLITE_SECONDS,
    steps: int = SQLITE_STEPS,
) -> Iterator[sqlite3.Connection]:
    """A read-only, budgeted connection to a private copy of ``data`` (and its WAL).

    The copy is removed afterwards. A statement stopped by the budget, or one
    that ran out of SQLite's memory, raises :class:`LimitExceeded` with the reason.
    """
    folder = Path(tempfile.mkdtemp(prefix="vigil-artefact-", dir=tmp_dir))
    path = folder / "copy.sqlite"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            copy = bytearray(data[:100])
            if wal is None and len(copy) == 100 and copy[18] == 2 and copy[19] == 2:
                copy[18] = copy[19] = 1  # WAL → rollback journal, in the copy only
            out.write(copy)
            out.write(memoryview(data)[100:])
        if wal is not None:
            (folder / "copy.sqlite-wal").write_bytes(wal)
            uri = f"{path.as_uri()}?mode=ro"
        else:
            uri = f"{path.as_uri()}?mode=ro&immutable=1"
        conn = sqlite3.connect(uri, uri=True)
        brake = _Brake(seconds, steps)
        try:
            _harden(conn, brake)
            yield conn
        except sqlite3.OperationalError as exc:
            deadline = current_deadline()
            if brake.timed_out or (deadline is not None and deadline.passed()):
                # The item's own budget ran out (the watchdog may have interrupted
                # the progress handler itself, which SQLite reports as "interrupted").
                raise ItemTimeout() from exc
            if brake.reason is not None:
                raise LimitExceeded(brake.reason) from exc
            if "out of memory" in str(exc):
                raise LimitExceeded(
                    f"more than {SQLITE_HEAP_BYTES} bytes of SQLite memory"
                ) from exc
            raise
        finally:
            conn.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _harden(conn: sqlite3.Connection, brake: _Brake) -> None:
    """Limits of one artefact connection (see the module docstring)."""
    conn.set_progress_handler(brake, _PROGRESS_EVERY)
    conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, SQLITE_MAX_VALUE_BYTES)
    conn.setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, 0)
    conn.setlimit(sqlite3.SQLITE_LIMIT_TRIGGER_DEPTH, 1)
    for pragma in (
        "query_only = ON",
        "trusted_schema = OFF",  # no function with side effects from the schema
        "temp_store = MEMORY",
        f"cache_size = -{SQLITE_CACHE_KIB}",
        "mmap_size = 0",
        f"hard_heap_limit = {SQLITE_HEAP_BYTES}",  # only ever lowers the process's limit
    ):
        conn.execute(f"PRAGMA {pragma}")


def table_kind(conn: sqlite3.Connection, name: str) -> str | None:
    """What ``name`` is in the main schema as SQLite parsed it (``table``, ``view``…), or None."""
    # table_list (SQLite 3.37+) reports the parsed object, not the type column
    # of sqlite_master, which a forger can edit.
    query = "SELECT type FROM pragma_table_list WHERE schema = 'main' AND name = ? COLLATE NOCASE"
    try:
        row = conn.execute(query, (name,)).fetchone()
    except sqlite3.OperationalError as exc:
        if "pragma_table_list" not in str(exc):
            raise
        return _kind_from_schema(conn, name)
    return None if row is None else str(row[0])


def _kind_from_schema(conn: sqlite3.Connection, name: str) -> str | None:
    """Before SQLite 3.37: the kind as the stored CREATE statement says it."""
    row = conn.execute(
        "SELECT type, sql FROM sqlite_master WHERE name = ? COLLATE NOCASE "
        "AND type IN ('table', 'view')",
        (name,),
    ).fetchone()
    if row is None:
        return None
    words = str(row[1] or "").upper().split(None, 3)
    if words[:3] == ["CREATE", "VIRTUAL", "TABLE"]:
        return "virtual"
    if words[:2] == ["CREATE", "VIEW"] or words[1:3] in (["TEMP", "VIEW"], ["TEMPORARY", "VIEW"]):
        return "view"
    return str(row[0])


def table_columns(conn: sqlite3.Connection, table: str) -> set[str]:
    """The columns of the real table ``table`` (empty when there is no such object).

    Raises :class:`LimitExceeded` when ``table`` is a view, virtual or shadow
    table: those run the suspect's SQL, which may never end.
    """
    kind = table_kind(conn, table)
    if kind is None:
        return set()
    if kind != "table":
        raise LimitExceeded(f"{table!r} is a {kind}, not a table (only real tables are read)")
    return {str(row[1]) for row in conn.execute(f'PRAGMA table_info("{table}")')}


def trigger_names(conn: sqlite3.Connection) -> list[str]:
    """Triggers stored in the database (never run here: reads fire none, writes are off)."""
    query = "SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name"
    return [str(row[0]) for row in conn.execute(query)]


def rows(conn: sqlite3.Connection, query: str) -> Iterator[tuple[Any, ...]]:
    """The rows of ``query``, at most ``MAX_ROWS`` (then :class:`LimitExceeded`)."""
    for count, row in enumerate(conn.execute(query), start=1):
        if count > MAX_ROWS:
            raise LimitExceeded(f"a query gave more than {MAX_ROWS} rows")
        yield row
