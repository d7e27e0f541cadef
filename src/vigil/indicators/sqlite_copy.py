"""Open an SQLite artefact without touching the evidence: a private copy, read-only.

Opening evidence in place would let SQLite create ``-wal``/``-shm``/``-journal``
files beside it (and replay a journal into it). The bytes the scan already
holds are written to a file only this user can read in the scan's private
folder, switched from WAL to rollback mode in the copy's header (so no
``-shm`` is ever needed), and opened with ``mode=ro&immutable=1``.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path

_WAL_VERSION_OFFSETS = (18, 19)


@contextlib.contextmanager
def private_sqlite(data: bytes, tmp_dir: str | None) -> Iterator[sqlite3.Connection]:
    """A read-only connection to a private copy of ``data``; the copy is removed afterwards."""
    fd, name = tempfile.mkstemp(prefix="vigil-artefact-", suffix=".sqlite", dir=tmp_dir)
    path = Path(name)
    try:
        with os.fdopen(fd, "wb") as out:
            copy = bytearray(data[:100])
            if len(copy) == 100 and copy[18] == 2 and copy[19] == 2:
                copy[18] = copy[19] = 1  # WAL → rollback journal, in the copy only
            out.write(copy)
            out.write(memoryview(data)[100:])
        conn = sqlite3.connect(f"{path.as_uri()}?mode=ro&immutable=1", uri=True)
        try:
            yield conn
        finally:
            conn.close()
    finally:
        path.unlink(missing_ok=True)


def table_columns(conn: sqlite3.Connection, table: str) -> set[str]:
    """The columns of ``table`` (empty when there is no such table)."""
    return {str(row[1]) for row in conn.execute(f'PRAGMA table_info("{table}")')}
