"""The hash library's PDQ entries, searchable: in memory when few, an on-disk index when many.

A :class:`~vigil.matching.pdq_index.PdqIndex` is derived data, kept under
``$VIGIL_HOME/index/<database>/pdq``. It records which entries of which set it
holds; when the library changes (a new version of a set, a set removed,
entries graded into a local set), :func:`pdq_searcher` applies just the change
(:mod:`vigil.matching.library_sync`: a new segment for the added entries,
tombstones for the removed, one atomic manifest swap) instead of rebuilding.
Readers — scan workers, the web app — never lock: they see the index before or
after a change, never half of one. When deleted rows or segments pile up, a
compaction runs in a separate process (:mod:`vigil.matching.compactor`) while
searches go on.

The index is built from scratch only the first time, or when it was written by
an older Vigil that did not record its entries.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import uuid
from pathlib import Path
from typing import Literal, Protocol

import numpy as np
import numpy.typing as npt
from sqlalchemy import Connection

from vigil.config import vigil_home
from vigil.matching._arrays import Matches
from vigil.matching._store import MatchIndexError
from vigil.matching.compactor import needs_compaction, start_compaction
from vigil.matching.library_sync import SetState, is_current, library_sets, load_entries, sync
from vigil.matching.pdq_bruteforce import BruteForcePdqIndex
from vigil.matching.pdq_index import PdqIndex

INDEX_MIN_ENTRIES = 50_000
"""Below this many PDQ entries a brute-force scan is as fast and needs no files."""

Compaction = Literal["background", "inline", "off"]

STATES_CACHE = "set-states.json"
"""Per set, its head and PDQ state when last read (see :func:`library_sets`)."""


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
    conn: Connection,
    index_root: Path | None = None,
    min_entries: int | None = None,
    *,
    compaction: Compaction = "background",
) -> PdqSearcher:
    """A searcher over every PDQ entry of the library, up to date with its current content.

    ``compaction``: when the index needs merging after a change, do it in a
    separate process (default), here before returning, or not at all.
    """
    index_root = index_root or default_index_root(conn)
    min_entries = INDEX_MIN_ENTRIES if min_entries is None else min_entries
    states = library_sets(conn, index_root / STATES_CACHE, remember_from=min_entries)
    if sum(s.count for s in states.values()) < min_entries:
        ids, bits = load_pdq_bank(conn)
        return BruteForcePdqIndex(bits, ids)
    path = index_root / "pdq"
    index = _open(path)
    if index is not None and is_current(index, states):
        return index
    index_root.mkdir(parents=True, exist_ok=True)
    with (index_root / "LOCK").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one updater at a time; the others then reuse its work
        index = _open(path)
        if index is None or index.settings.get("library") is None:
            return _rebuild(conn, path, states)
        if not is_current(index, states):
            sync(conn, index, states)
    if compaction != "off" and needs_compaction(index):
        if compaction == "inline":
            index.compact()
        else:
            start_compaction(path)
    return index


def library_stamp(conn: Connection) -> str:
    """A digest of what the library's PDQ entries are (changes whenever the index must)."""
    states = library_sets(conn)
    text = json.dumps({str(k): v.to_json() for k, v in sorted(states.items())})
    return hashlib.sha256(text.encode()).hexdigest()


def load_pdq_bank(conn: Connection) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.uint8]]:
    """Ids and hashes of every PDQ entry, streamed into compact arrays (id order)."""
    return load_entries(conn)


def _open(path: Path) -> PdqIndex | None:
    """The index at ``path``, or None when there is none (or none this Vigil can read)."""
    if not path.exists():
        return None
    try:
        return PdqIndex.open(path)
    except (MatchIndexError, ValueError, OSError):
        return None


def _rebuild(conn: Connection, path: Path, states: dict[int, SetState]) -> PdqIndex:
    """Build the whole index in a folder of its own, then put it in place."""
    fresh = path.with_name(f"pdq.new-{uuid.uuid4().hex[:8]}")
    try:
        index = PdqIndex.create(fresh)
        index.update(np.empty((0, 32), np.uint8), np.empty(0, np.int64), settings={"library": {}})
        sync(conn, index, states)
    except BaseException:
        shutil.rmtree(fresh, ignore_errors=True)
        raise
    old = path.with_name(f"pdq.old-{uuid.uuid4().hex[:8]}")
    if path.exists():
        os.replace(path, old)
    os.replace(fresh, path)
    # Readers that opened the old index keep their mappings; the files go when they do.
    shutil.rmtree(old, ignore_errors=True)
    return PdqIndex.open(path)
