"""The hash library's PDQ entries, searchable: in memory when few, an on-disk index when many.

A :class:`~vigil.matching.pdq_index.PdqIndex` is derived data: it is built from
the store's ``hash_entry`` rows and stamped with what it was built from (per set:
the current file's SHA-256 and the count and id range of its PDQ entries). When
the library changes the stamp no longer matches and the index is rebuilt, in a
folder of its own that replaces the old one only when complete.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import uuid
from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt
from sqlalchemy import Connection, func, select

from vigil.config import vigil_home
from vigil.matching._arrays import Matches
from vigil.matching.pdq_bruteforce import BruteForcePdqIndex
from vigil.matching.pdq_index import PdqIndex
from vigil.store.schema import hash_entry, hashset, hashset_version

INDEX_MIN_ENTRIES = 50_000
"""Below this many PDQ entries a brute-force scan is as fast and needs no files."""

LOAD_BATCH = 50_000
STAMP = "vigil-stamp.json"


class PdqSearcher(Protocol):
    """What matching needs: ``(query, id, distance)`` rows within a threshold."""

    def search(self, queries: npt.ArrayLike, threshold: int = 31) -> Matches:
        """Every match of every query row."""
        ...


def default_index_root(conn: Connection) -> Path:
    """Where the index of this database lives: under ``$VIGIL_HOME/index``, one per database."""
    url = conn.engine.url.render_as_string(hide_password=True)
    return vigil_home() / "index" / hashlib.sha256(url.encode()).hexdigest()[:16]


def pdq_searcher(
    conn: Connection, index_root: Path | None = None, min_entries: int | None = None
) -> PdqSearcher:
    """A searcher over every PDQ entry of the library, fresh for its current content."""
    index_root = index_root or default_index_root(conn)
    min_entries = INDEX_MIN_ENTRIES if min_entries is None else min_entries
    count = int(
        conn.execute(select(func.count()).where(hash_entry.c.pdq.is_not(None))).scalar_one()
    )
    if count < min_entries:
        ids, bits = load_pdq_bank(conn)
        return BruteForcePdqIndex(bits, ids)
    stamp = library_stamp(conn)
    path = index_root / "pdq"
    if _stamp_of(path) == stamp:
        return PdqIndex.open(path)
    index_root.mkdir(parents=True, exist_ok=True)
    with (index_root / "LOCK").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one rebuild at a time; the others then reuse it
        if _stamp_of(path) == stamp:
            return PdqIndex.open(path)
        return _rebuild(conn, path, stamp)


def library_stamp(conn: Connection) -> str:
    """A digest of what the PDQ entries are: per set, its file and its entries' id range."""
    rows = conn.execute(
        select(
            hashset.c.name,
            hashset_version.c.source_sha256,
            func.count(hash_entry.c.id),
            func.min(hash_entry.c.id),
            func.max(hash_entry.c.id),
        )
        .join(hashset_version, hashset_version.c.id == hashset.c.current_version_id)
        .join(hash_entry, hash_entry.c.hashset_id == hashset.c.id)
        .where(hash_entry.c.pdq.is_not(None))
        .group_by(hashset.c.name, hashset_version.c.source_sha256)
        .order_by(hashset.c.name)
    ).all()
    text = json.dumps([list(r) for r in rows])
    return hashlib.sha256(text.encode()).hexdigest()


def load_pdq_bank(conn: Connection) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.uint8]]:
    """Ids and hashes of every PDQ entry, streamed into compact arrays (id order)."""
    ids: list[npt.NDArray[np.int64]] = []
    bits: list[npt.NDArray[np.uint8]] = []
    # Options on the statement, not the connection: on PostgreSQL a connection-wide
    # stream_results would put the caller's later INSERTs on a server-side cursor.
    result = conn.execute(
        select(hash_entry.c.id, hash_entry.c.pdq)
        .where(hash_entry.c.pdq.is_not(None))
        .order_by(hash_entry.c.id)
        .execution_options(stream_results=True, yield_per=LOAD_BATCH)
    )
    for part in result.partitions():
        ids.append(np.fromiter((r[0] for r in part), dtype=np.int64, count=len(part)))
        bits.append(np.frombuffer(b"".join(r[1] for r in part), dtype=np.uint8).reshape(-1, 32))
    if not ids:
        return np.zeros(0, dtype=np.int64), np.zeros((0, 32), dtype=np.uint8)
    return np.concatenate(ids), np.concatenate(bits)


def _stamp_of(path: Path) -> str | None:
    try:
        return str(json.loads((path / STAMP).read_text())["stamp"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _rebuild(conn: Connection, path: Path, stamp: str) -> PdqIndex:
    fresh = path.with_name(f"pdq.new-{uuid.uuid4().hex[:8]}")
    ids, bits = load_pdq_bank(conn)
    PdqIndex.build(fresh, bits, ids)
    (fresh / STAMP).write_text(json.dumps({"stamp": stamp, "entries": len(ids)}))
    old = path.with_name(f"pdq.old-{uuid.uuid4().hex[:8]}")
    if path.exists():
        os.replace(path, old)
    os.replace(fresh, path)
    # Readers that opened the old index keep their mappings; the files go when they do.
    shutil.rmtree(old, ignore_errors=True)
    return PdqIndex.open(path)
