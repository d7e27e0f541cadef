"""Bring a library's PDQ index up to date with the hash library, set by set, in one swap.

The index records, in its manifest's settings, what it holds of each hash set:
the set's state when last synced (:class:`SetState`: current version, count,
smallest, largest and sum of its PDQ entry ids) and, as an attached file, the
sorted ids of the entries it holds. :func:`sync` compares that with the
library and changes only what changed:

* a set removed: its held ids are tombstoned;
* a set new, or a new version of it imported: the old version's ids are
  tombstoned and the new version's entries added (a version replaces a set
  whole; on SQLite a new row may even reuse a deleted row's id, so ids alone
  cannot tell a new version from the old);
* a set whose version is the same but whose entries changed (a local graded
  set grows as officers grade): the held ids and the set's current ids are
  diffed; the gone are tombstoned, the new added.

All of it — new segment, tombstones, each set's new record — is published in
one manifest swap (:meth:`PdqIndex.update`): a writer dying at any moment leaves
the previous state, whole, and the next sync does the work again.

What the state cannot see: an entry deleted and another inserted under the same
id (SQLite reuses the highest rowid) in the same set without a new version,
with count and id range unchanged. Imports always make a new version; the
graded set only grows or loses entries.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sqlalchemy import ColumnElement, Connection, func, select

from vigil.matching._arrays import PDQ_BYTES, Hashes, Ids
from vigil.matching.pdq_index import PdqIndex
from vigil.store.schema import hash_entry, hashset, hashset_version

LOAD_BATCH = 50_000
SETTINGS_KEY = "library"


@dataclass(frozen=True, slots=True)
class SetState:
    """What a hash set's PDQ entries are, as far as a cheap query can tell."""

    version_id: int | None
    source_sha256: str | None
    count: int
    min_id: int
    max_id: int
    id_sum: int

    def to_json(self) -> list[object]:
        """A JSON-friendly form for the manifest."""
        return [
            self.version_id,
            self.source_sha256,
            self.count,
            self.min_id,
            self.max_id,
            self.id_sum,
        ]

    @classmethod
    def from_json(cls, raw: list[object]) -> SetState:
        """Inverse of :meth:`to_json`."""
        version, sha, count, lo, hi, total = raw
        return cls(
            None if version is None else int(str(version)),
            None if sha is None else str(sha),
            int(str(count)),
            int(str(lo)),
            int(str(hi)),
            int(str(total)),
        )


@dataclass(frozen=True, slots=True)
class SyncReport:
    """What one sync changed."""

    sets_changed: int
    added: int
    deleted: int


def library_sets(
    conn: Connection, cache: Path | None = None, remember_from: int = 0
) -> dict[int, SetState]:
    """The state of every set holding PDQ entries.

    The state needs an aggregate over a set's entries, seconds for tens of
    millions of rows. With ``cache`` (a JSON file beside the index), a set whose
    head — current version, its source hash and ``hashset.revision``, which every
    writer of entries bumps — is unchanged since the last call keeps its cached
    state, so a library that did not change costs one small query. The cache
    is written (its folder made) only for a library of at least
    ``remember_from`` PDQ entries: a small one leaves nothing on disk.
    """
    heads = _set_heads(conn)
    cached = _read_cache(cache) if cache is not None else {}
    states: dict[int, SetState] = {}
    stale: list[int] = []
    for set_id, head in heads.items():
        hit = cached.get(set_id)
        if hit is not None and hit[0] == head:
            if hit[1] is not None:
                states[set_id] = hit[1]
        else:
            stale.append(set_id)
    if not stale:
        return states
    fresh = _aggregate(conn, heads, stale if cache is not None else None)
    states.update(fresh)
    if cache is not None and sum(state.count for state in states.values()) >= remember_from:
        cache.parent.mkdir(parents=True, exist_ok=True)
        _write_cache(cache, {k: (heads[k], states.get(k)) for k in heads})
    return states


Head = tuple[int | None, str | None, int]
"""A set's current version id, that version's source SHA-256, and its revision."""


def _set_heads(conn: Connection) -> dict[int, Head]:
    rows = conn.execute(
        select(
            hashset.c.id,
            hashset.c.current_version_id,
            hashset_version.c.source_sha256,
            hashset.c.revision,
        ).select_from(
            hashset.outerjoin(hashset_version, hashset_version.c.id == hashset.c.current_version_id)
        )
    )
    return {
        int(set_id): (None if version is None else int(version), sha, int(revision))
        for set_id, version, sha, revision in rows
    }


def _aggregate(
    conn: Connection, heads: dict[int, Head], only: list[int] | None
) -> dict[int, SetState]:
    e = hash_entry.c
    query = (
        select(e.hashset_id, func.count(), func.min(e.id), func.max(e.id), func.sum(e.id))
        .where(e.pdq.is_not(None))
        .group_by(e.hashset_id)
    )
    if only is not None:
        query = query.where(e.hashset_id.in_(only))
    states: dict[int, SetState] = {}
    for set_id, count, lo, hi, total in conn.execute(query):
        version, sha, _ = heads.get(int(set_id), (None, None, 0))
        states[int(set_id)] = SetState(version, sha, int(count), int(lo), int(hi), int(total))
    return states


def _read_cache(path: Path) -> dict[int, tuple[Head, SetState | None]]:
    try:
        raw = json.loads(path.read_text())
        return {
            int(set_id): (
                (entry["head"][0], entry["head"][1], int(entry["head"][2])),
                None if entry["state"] is None else SetState.from_json(entry["state"]),
            )
            for set_id, entry in raw.items()
        }
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return {}  # no cache, or one we cannot read: recompute everything


def _write_cache(path: Path, entries: dict[int, tuple[Head, SetState | None]]) -> None:
    data = {
        str(set_id): {"head": list(head), "state": None if state is None else state.to_json()}
        for set_id, (head, state) in entries.items()
    }
    temp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        temp.write_text(json.dumps(data))
        os.replace(temp, path)  # readers see the old cache or the new, never half
    except OSError:
        temp.unlink(missing_ok=True)  # a cache that cannot be written only costs time


def held_sets(index: PdqIndex) -> dict[int, tuple[SetState, str]] | None:
    """Per set, the state the index was synced with and its held-ids file; None if unrecorded."""
    record = index.settings.get(SETTINGS_KEY)
    if not isinstance(record, dict):
        return None
    return {
        int(set_id): (SetState.from_json(entry["state"]), str(entry["held"]))
        for set_id, entry in record.items()
    }


def is_current(index: PdqIndex, states: dict[int, SetState]) -> bool:
    """True when the index holds exactly what ``states`` describe."""
    held = held_sets(index)
    return held is not None and {k: v[0] for k, v in held.items()} == states


def sync(conn: Connection, index: PdqIndex, states: dict[int, SetState]) -> SyncReport:
    """Apply every change of the library since the index was last synced (one swap)."""
    held = held_sets(index) or {}
    staged: dict[int, str] = {}
    try:
        return _sync(conn, index, states, held, staged)
    except BaseException:
        index.discard(tuple(staged.values()))  # a failed update leaves no files behind
        raise


def _sync(
    conn: Connection,
    index: PdqIndex,
    states: dict[int, SetState],
    held: dict[int, tuple[SetState, str]],
    staged: dict[int, str],
) -> SyncReport:
    gone: list[Ids] = [np.empty(0, np.int64)]
    new_ids: list[Ids] = [np.empty(0, np.int64)]
    new_hashes: list[Hashes] = [np.empty((0, PDQ_BYTES), np.uint8)]
    changed = 0
    for set_id in sorted(held.keys() | states.keys()):
        before, now = held.get(set_id), states.get(set_id)
        if before is not None and before[0] == now:
            continue
        changed += 1
        old = index.attached(before[1]) if before is not None else np.empty(0, np.int64)
        if now is None:
            gone.append(old)
            continue
        if before is not None and _same_version(before[0], now):
            current = _set_ids(conn, set_id)
            gone.append(np.setdiff1d(old, current, assume_unique=True))
            ids, hashes = _load(conn, set_id, np.setdiff1d(current, old, assume_unique=True))
        else:
            gone.append(old)
            ids, hashes = _load(conn, set_id, None)
            current = ids  # loaded in id order
        new_ids.append(ids)
        new_hashes.append(hashes)
        staged[set_id] = index.stage(current)
    if not changed:
        return SyncReport(0, 0, 0)
    files = {set_id: name for set_id, (_, name) in held.items() if set_id in states} | staged
    record = {
        str(set_id): {"state": states[set_id].to_json(), "held": files[set_id]}
        for set_id in sorted(states)
    }
    deleted, added = np.concatenate(gone), np.concatenate(new_ids)
    index.update(
        np.concatenate(new_hashes),
        added,
        delete=deleted,
        settings={**index.settings, SETTINGS_KEY: record},
        files=tuple(files[set_id] for set_id in sorted(states)),
    )
    return SyncReport(changed, len(added), len(deleted))


def _same_version(a: SetState, b: SetState) -> bool:
    return (a.version_id, a.source_sha256) == (b.version_id, b.source_sha256)


def _set_ids(conn: Connection, set_id: int) -> Ids:
    """Sorted ids of a set's PDQ entries."""
    e = hash_entry.c
    result = conn.execute(
        select(e.id)
        .where(e.hashset_id == set_id, e.pdq.is_not(None))
        .order_by(e.id)
        .execution_options(stream_results=True, yield_per=LOAD_BATCH)
    )
    parts = [np.array([r[0] for r in part], dtype=np.int64) for part in result.partitions()]
    return np.concatenate(parts) if parts else np.empty(0, np.int64)


def _load(conn: Connection, set_id: int, wanted: Ids | None) -> tuple[Ids, Hashes]:
    """Ids and hashes of a set's PDQ entries: all of them, or those with ``wanted`` ids."""
    e = hash_entry.c
    where: list[ColumnElement[bool]] = [e.hashset_id == set_id, e.pdq.is_not(None)]
    if wanted is not None:
        if not len(wanted):
            return np.empty(0, np.int64), np.empty((0, PDQ_BYTES), np.uint8)
        # New entries come last: start the read at the first one wanted.
        where.append(e.id >= int(wanted[0]))
    ids, hashes = load_entries(conn, *where)
    if wanted is not None:
        keep = np.isin(ids, wanted, assume_unique=True)
        ids, hashes = ids[keep], hashes[keep]
    return ids, hashes


def load_entries(conn: Connection, *where: ColumnElement[bool]) -> tuple[Ids, Hashes]:
    """Ids and hashes of the PDQ entries matching ``where``, streamed into arrays (id order)."""
    ids: list[Ids] = [np.empty(0, np.int64)]
    bits: list[Hashes] = [np.empty((0, PDQ_BYTES), np.uint8)]
    # Options on the statement, not the connection: on PostgreSQL a connection-wide
    # stream_results would put the caller's later INSERTs on a server-side cursor.
    result = conn.execute(
        select(hash_entry.c.id, hash_entry.c.pdq)
        .where(hash_entry.c.pdq.is_not(None), *where)
        .order_by(hash_entry.c.id)
        .execution_options(stream_results=True, yield_per=LOAD_BATCH)
    )
    for part in result.partitions():
        ids.append(np.fromiter((r[0] for r in part), dtype=np.int64, count=len(part)))
        bits.append(np.frombuffer(b"".join(r[1] for r in part), dtype=np.uint8).reshape(-1, 32))
    return np.concatenate(ids), np.concatenate(bits)
