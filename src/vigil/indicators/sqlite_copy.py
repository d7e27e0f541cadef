"""Open an SQLite artefact without touching the evidence: a private copy, read-only.

Opening evidence in place would let SQLite create ``-wal``/``-shm``/``-journal``
files beside it (and replay a journal into it). The bytes the scan already
holds are written to a file only this user can read in the scan's private
folder and opened with ``mode=ro``. When the evidence's ``-wal`` file was
found beside the database, a copy of it goes beside the private copy, so
that records not yet checkpointed are read too (SQLite keeps its ``-shm``
in the private folder). Without one, the copy's header is switched from WAL
to rollback mode and the copy opened ``immutable``: no side file is needed.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path

_WAL_VERSION_OFFSETS = (18, 19)


@contextlib.contextmanager
def private_sqlite(
    data: bytes, tmp_dir: str | None, wal: bytes | None = None
) -> Iterator[sqlite3.Connection]:
    """A read-only connection to a private copy of ``data`` (and its WAL); removed afterwards."""
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
        try:
            yield conn
        finally:
            conn.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def table_columns(conn: sqlite3.Connection, table: str) -> set[str]:
    """The columns of ``table`` (empty when there is no such table)."""
    return {str(row[1]) for row in conn.execute(f'PRAGMA table_info("{table}")')}
