"""Matching found items against the hash library: known-good, exact and PDQ."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from sqlalchemy import Connection, select

from vigil.hashing.pdq import LOW_QUALITY
from vigil.hashsets.schemes import Scheme, load_scheme
from vigil.matching.pdq_bruteforce import BruteForcePdqIndex
from vigil.scan.records import ItemRecord
from vigil.store.schema import hash_entry, hashset

EXACT_ORDER = ("sha256", "sha1", "md5")
"""When one entry matches on several hashes, the strongest is the one recorded."""

BANK_BATCH = 50_000
"""Rows per fetch while loading the PDQ bank."""

VARIANTS = 8
"""Rotations and flips queried per picture (pdqhash's dihedral order)."""

MAX_PDQ_HITS = 50
"""Nearest PDQ entries kept per item; a flood of near-duplicates says no more than 50 do."""


@dataclass(frozen=True, slots=True)
class SetInfo:
    """What matching needs to know of a hash set."""

    id: int
    name: str
    known_good: bool
    scheme: Scheme


@dataclass(frozen=True, slots=True)
class Hit:
    """One item-to-entry match."""

    set_id: int
    set_name: str
    entry_id: int
    algorithm: str
    distance: int
    variant: int | None
    category: str | None
    known_good: bool


class Matcher:
    """Loads the library's sets and PDQ bank once, then matches batches of items."""

    def __init__(self, conn: Connection, pdq_threshold: int = 31) -> None:
        self.threshold = pdq_threshold
        self.sets = {
            row.id: SetInfo(row.id, row.name, bool(row.known_good), load_scheme(row.scheme))
            for row in conn.execute(select(hashset))
        }
        self._pdq_ids, self._pdq_sets, bits = _load_pdq_bank(conn)
        self._pdq = BruteForcePdqIndex(bits, self._pdq_ids)

    def describe(self) -> list[dict[str, object]]:
        """The sets a scan matched against, for the run's provenance."""
        return [
            {"id": s.id, "name": s.name, "known_good": s.known_good, "scheme": s.scheme.name}
            for s in self.sets.values()
        ]

    def match(self, conn: Connection, records: Sequence[ItemRecord]) -> list[list[Hit]]:
        """Hits for each record, in the records' order."""
        hits: list[list[Hit]] = [[] for _ in records]
        self._exact(conn, records, hits)
        if len(self._pdq_ids):
            self._perceptual(conn, records, hits)
        return hits

    def _exact(
        self, conn: Connection, records: Sequence[ItemRecord], hits: list[list[Hit]]
    ) -> None:
        seen: list[set[int]] = [set() for _ in records]
        for kind in EXACT_ORDER:
            wanted: dict[bytes, list[int]] = {}
            for i, record in enumerate(records):
                digest = getattr(record, kind)
                if digest is not None:
                    wanted.setdefault(digest, []).append(i)
            if not wanted:
                continue
            column = hash_entry.c[kind]
            keys = list(wanted)
            for start in range(0, len(keys), 500):
                chunk = keys[start : start + 500]
                query = select(
                    hash_entry.c.id, hash_entry.c.hashset_id, hash_entry.c.category, column
                ).where(column.in_(chunk))
                for row in conn.execute(query):
                    for i in wanted[row[3]]:
                        if row.id in seen[i]:
                            continue
                        seen[i].add(row.id)
                        hits[i].append(
                            self._hit(row.hashset_id, row.id, kind, 0, None, row.category)
                        )

    def _perceptual(
        self, conn: Connection, records: Sequence[ItemRecord], hits: list[list[Hit]]
    ) -> None:
        eligible = [
            i
            for i, r in enumerate(records)
            if r.pdq_variants is not None and (r.pdq_quality or 0) >= LOW_QUALITY
        ]
        if not eligible:
            return
        # All 8 variants of every picture in one search; query q is picture q // 8.
        queries = np.frombuffer(
            b"".join(records[i].pdq_variants or b"" for i in eligible), dtype=np.uint8
        ).reshape(-1, 32)
        nearest: dict[tuple[int, int], tuple[int, int]] = {}  # (item, entry) → (bits, variant)
        for query, entry_id, distance in self._pdq.search(queries, self.threshold).tolist():
            key = (eligible[query // VARIANTS], entry_id)
            if key not in nearest or distance < nearest[key][0]:
                nearest[key] = (distance, query % VARIANTS)
        exact = {i: {h.entry_id for h in hits[i]} for i in eligible}
        per_item: dict[int, list[tuple[int, int, int]]] = {}
        for (i, entry_id), (distance, variant) in nearest.items():
            if entry_id not in exact[i]:  # an exact hit on the same entry says more
                per_item.setdefault(i, []).append((distance, entry_id, variant))
        found = {i: sorted(c)[:MAX_PDQ_HITS] for i, c in per_item.items()}
        if not found:
            return
        # Categories only for the entries hit: the bank itself holds hashes and ids alone.
        categories = _categories(conn, [e for c in found.values() for _, e, _ in c])
        for i, candidates in found.items():
            for distance, entry_id, variant in candidates:
                set_id = self._set_of(entry_id)
                hits[i].append(
                    self._hit(set_id, entry_id, "pdq", distance, variant, categories[entry_id])
                )

    def _set_of(self, entry_id: int) -> int:
        # Bank ids are sorted (loaded in id order), so the set id is one bisection away.
        return int(self._pdq_sets[np.searchsorted(self._pdq_ids, entry_id)])

    def _hit(
        self,
        set_id: int,
        entry_id: int,
        algorithm: str,
        distance: int,
        variant: int | None,
        category: str | None,
    ) -> Hit:
        info = self.sets[set_id]
        return Hit(
            set_id, info.name, entry_id, algorithm, distance, variant, category, info.known_good
        )


def _load_pdq_bank(
    conn: Connection,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.uint8]]:
    """Ids, set ids and hashes of every PDQ entry, streamed into compact arrays."""
    ids: list[npt.NDArray[np.int64]] = []
    sets: list[npt.NDArray[np.int64]] = []
    bits: list[npt.NDArray[np.uint8]] = []
    # Options on the statement, not the connection: on PostgreSQL a connection-wide
    # stream_results would put the scan's later INSERTs on a server-side cursor.
    result = conn.execute(
        select(hash_entry.c.id, hash_entry.c.hashset_id, hash_entry.c.pdq)
        .where(hash_entry.c.pdq.is_not(None))
        .order_by(hash_entry.c.id)
        .execution_options(stream_results=True, yield_per=BANK_BATCH)
    )
    for part in result.partitions():
        ids.append(np.fromiter((r[0] for r in part), dtype=np.int64, count=len(part)))
        sets.append(np.fromiter((r[1] for r in part), dtype=np.int64, count=len(part)))
        bits.append(np.frombuffer(b"".join(r[2] for r in part), dtype=np.uint8).reshape(-1, 32))
    if not ids:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty.copy(), np.zeros((0, 32), dtype=np.uint8)
    return np.concatenate(ids), np.concatenate(sets), np.concatenate(bits)


def _categories(conn: Connection, entry_ids: list[int]) -> dict[int, str | None]:
    out: dict[int, str | None] = {}
    unique = sorted(set(entry_ids))
    for start in range(0, len(unique), 500):
        chunk = unique[start : start + 500]
        query = select(hash_entry.c.id, hash_entry.c.category).where(hash_entry.c.id.in_(chunk))
        out.update({int(r.id): r.category for r in conn.execute(query)})
    return out


def review_state(record: ItemRecord, hits: Sequence[Hit]) -> str:
    """``hit`` (in a graded set), ``known`` (known-good only), ``unknown`` media, or ``none``."""
    if any(not h.known_good for h in hits):
        return "hit"
    if hits:
        return "known"
    if record.is_media and record.status == "ok":
        return "unknown"
    return "none"


def best_hit(hits: Sequence[Hit]) -> Hit | None:
    """The hit an item is counted by: graded before known-good, exact before PDQ, nearest."""
    if not hits:
        return None
    return min(hits, key=lambda h: (h.known_good, h.algorithm == "pdq", h.distance, h.set_name))
