"""Matching found items against the hash library: known-good, exact and PDQ."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from sqlalchemy import Connection, select

from vigil.hashing.pdq import LOW_QUALITY
from vigil.hashsets.schemes import Scheme, load_scheme
from vigil.scan.records import ItemRecord
from vigil.store.schema import hash_entry, hashset

EXACT_ORDER = ("sha256", "sha1", "md5")
"""When one entry matches on several hashes, the strongest is the one recorded."""

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
        rows = conn.execute(
            select(
                hash_entry.c.id, hash_entry.c.hashset_id, hash_entry.c.pdq, hash_entry.c.category
            )
            .where(hash_entry.c.pdq.is_not(None))
            .order_by(hash_entry.c.id)
        ).all()
        self._pdq_ids = np.fromiter((r.id for r in rows), dtype=np.int64, count=len(rows))
        self._pdq_sets = np.fromiter((r.hashset_id for r in rows), dtype=np.int64, count=len(rows))
        self._pdq_bits: npt.NDArray[np.uint8] = np.frombuffer(
            b"".join(r.pdq for r in rows), dtype=np.uint8
        ).reshape(-1, 32)
        self._pdq_category = {int(r.id): r.category for r in rows}

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
            self._perceptual(records, hits)
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

    def _perceptual(self, records: Sequence[ItemRecord], hits: list[list[Hit]]) -> None:
        for i, record in enumerate(records):
            if record.pdq_variants is None or (record.pdq_quality or 0) < LOW_QUALITY:
                continue
            exact_entries = {h.entry_id for h in hits[i]}
            variants = np.frombuffer(record.pdq_variants, dtype=np.uint8).reshape(-1, 32)
            # Distance of every bank entry to each of the 8 variants; keep the nearest variant.
            distances = np.stack(
                [np.bitwise_count(self._pdq_bits ^ v).sum(axis=1, dtype=np.int32) for v in variants]
            )
            best_variant = distances.argmin(axis=0)
            best = distances[best_variant, np.arange(distances.shape[1])]
            near = np.nonzero(best <= self.threshold)[0]
            if len(near) == 0:
                continue
            near = near[np.argsort(best[near], kind="stable")][:MAX_PDQ_HITS]
            for j in near:
                entry_id = int(self._pdq_ids[j])
                if entry_id in exact_entries:
                    continue
                hits[i].append(
                    self._hit(
                        int(self._pdq_sets[j]),
                        entry_id,
                        "pdq",
                        int(best[j]),
                        int(best_variant[j]),
                        self._pdq_category[entry_id],
                    )
                )

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
