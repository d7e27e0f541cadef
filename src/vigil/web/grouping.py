"""The grading queue: a case's ungraded unknown media, grouped so one decision covers many.

Items with the same MD5 are one picture (exact duplicates). Pictures whose PDQ
hashes lie within the match threshold (31 bits by default, the distance at which a
scan would call them the same picture) are joined into one near-duplicate group,
transitively (single linkage). Low-quality PDQ hashes (< 50) join nothing.
Videos are grouped by MD5 only. Each picture's 8 rotations and flips (stored by
the scan) are compared too, as the scan's matcher does, so a mirrored or
rotated copy joins its original: one look less for the officer.

A group's key is its smallest MD5 (hex): stable while its members are.
"""

from __future__ import annotations

import tempfile
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sqlalchemy import Connection, select

from vigil.cases.runs import counted_evidence
from vigil.crosscase.first_seen import new_material
from vigil.hashing.pdq import LOW_QUALITY
from vigil.matching.pdq_bruteforce import BruteForcePdqIndex
from vigil.matching.pdq_index import PdqIndex
from vigil.store.schema import grade, item, scan_run

MEDIA = ("image", "video")
INDEX_FROM = 3000
"""From this many pictures on, near pairs come from the PDQ index instead of all-against-all."""


@dataclass(slots=True)
class Picture:
    """One distinct MD5 in the queue with every item (instance) that has it."""

    md5: str
    item_ids: list[int]
    family: str
    name: str
    pdq: bytes | None = None
    pdq_quality: int | None = None
    pdq_variants: bytes | None = None
    """The 8 dihedral hashes (8 × 32 bytes) when the scan stored them."""

    @property
    def representative(self) -> int:
        """The item shown for this picture (the first found)."""
        return self.item_ids[0]


@dataclass(slots=True)
class Group:
    """Pictures graded together; ``distance`` is each picture's bits from the first."""

    key: str
    pictures: list[Picture] = field(default_factory=list)
    distance: list[int] = field(default_factory=list)
    new_material: bool = False
    """A picture of it is in no set and no earlier case: possibly an unidentified victim."""

    @property
    def item_ids(self) -> list[int]:
        """Every item the group's decision covers."""
        return [i for p in self.pictures for i in p.item_ids]

    def as_json(self) -> dict[str, object]:
        """The group for the grading page."""
        return {
            "key": self.key,
            "new_material": self.new_material,
            "items": len(self.item_ids),
            "item_ids": self.item_ids,
            "pictures": [
                {
                    "md5": p.md5,
                    "item": p.representative,
                    "copies": len(p.item_ids),
                    "family": p.family,
                    "name": p.name,
                    "distance": d,
                }
                for p, d in zip(self.pictures, self.distance, strict=True)
            ],
        }


def ungraded_pictures(conn: Connection, case_id: int) -> list[Picture]:
    """The case's unknown, readable media not yet graded, one entry per MD5, in scan order."""
    graded = select(grade.c.item_id).where(grade.c.case_id == case_id)
    rows = conn.execute(
        select(
            item.c.id,
            item.c.md5,
            item.c.family,
            item.c.name,
            item.c.pdq,
            item.c.pdq_quality,
            item.c.pdq_variants,
        )
        .join(scan_run, scan_run.c.id == item.c.run_id)
        .where(
            scan_run.c.case_id == case_id,
            # Only the counted scan of each exhibit: a superseded run's copies wait for no one.
            item.c.evidence_id.in_(list(counted_evidence(conn, case_id).values())),
            item.c.review == "unknown",
            item.c.status == "ok",
            item.c.family.in_(MEDIA),
            item.c.md5.is_not(None),
            item.c.id.not_in(graded),
        )
        .order_by(item.c.id)
    )
    by_md5: dict[bytes, Picture] = {}
    for r in rows:
        picture = by_md5.get(r.md5)
        if picture is None:
            by_md5[r.md5] = Picture(
                r.md5.hex(), [int(r.id)], r.family, r.name, r.pdq, r.pdq_quality, r.pdq_variants
            )
        else:
            picture.item_ids.append(int(r.id))
    return list(by_md5.values())


def near_pairs(pictures: list[Picture], threshold_bits: int = 31) -> set[tuple[str, str]]:
    """MD5 pairs (smaller first) of hashed pictures within ``threshold_bits`` of each other.

    Few pictures are compared all against all (the brute-force oracle); many go
    through the multi-index-hashing PDQ index in a private temporary folder, which
    returns exactly the same pairs (matching/pdq_index.py) in near-linear time.
    """
    hashed = [
        p
        for p in pictures
        if p.family == "image" and p.pdq is not None and (p.pdq_quality or 0) >= LOW_QUALITY
    ]
    if len(hashed) < 2:
        return set()
    bits = np.frombuffer(b"".join(p.pdq or b"" for p in hashed), np.uint8).reshape(-1, 32)
    ids = np.arange(len(hashed), dtype=np.int64)
    queries, owner = _variant_queries(hashed)
    if len(hashed) < INDEX_FROM:
        found = BruteForcePdqIndex(bits, ids).search(queries, threshold_bits)
    else:
        with tempfile.TemporaryDirectory(prefix="vigil-queue-") as folder:
            index = PdqIndex.build(Path(folder) / "pdq", bits, ids)
            found = np.array(index.search(queries, threshold_bits, workers=1), copy=True)
    pairs = set()
    for query, other in zip(owner[found["query"]].tolist(), found["id"].tolist(), strict=True):
        if query != other:
            a, b = hashed[query].md5, hashed[other].md5
            pairs.add((a, b) if a < b else (b, a))
    return pairs


def _variant_queries(hashed: list[Picture]) -> tuple[np.ndarray, np.ndarray]:
    """Every picture's hashes to query with (its 8 variants, else its hash) and their owners."""
    rows: list[bytes] = []
    owner: list[int] = []
    for number, picture in enumerate(hashed):
        variants = _variants(picture)
        rows.extend(variants)
        owner.extend([number] * len(variants))
    queries = np.frombuffer(b"".join(rows), np.uint8).reshape(-1, 32)
    return queries, np.array(owner, dtype=np.int64)


def _variants(picture: Picture) -> list[bytes]:
    raw = picture.pdq_variants
    if raw and len(raw) % 32 == 0:
        return [raw[i : i + 32] for i in range(0, len(raw), 32)]
    return [picture.pdq or b""]


def group_pictures(
    pictures: list[Picture], threshold_bits: int = 31, pairs: set[tuple[str, str]] | None = None
) -> list[Group]:
    """Join pictures within ``threshold_bits`` (or along ``pairs``), in order of first picture."""
    if pairs is None:
        pairs = near_pairs(pictures, threshold_bits)
    position = {p.md5: i for i, p in enumerate(pictures)}
    parent = list(range(len(pictures)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, b in pairs:
        if a in position and b in position:
            ra, rb = find(position[a]), find(position[b])
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    members: dict[int, list[int]] = defaultdict(list)
    for i in range(len(pictures)):
        members[find(i)].append(i)
    groups = []
    for root in sorted(members):
        chosen = [pictures[i] for i in members[root]]
        groups.append(
            Group(min(p.md5 for p in chosen), chosen, [_distance(chosen[0], p) for p in chosen])
        )
    return groups


class PairCache:
    """Near pairs per case, kept while the queue only shrinks (grading never adds pictures).

    Grading removes pictures from the queue; the groups of what is left are the
    connected pieces of the cached pairs among the remaining pictures, so the
    distances are computed once per case, not once per keypress. A new scan of
    the case adds pictures and recomputes.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cases: dict[tuple[int, int], tuple[frozenset[str], set[tuple[str, str]]]] = {}

    def pairs(
        self, case_id: int, pictures: list[Picture], threshold_bits: int
    ) -> set[tuple[str, str]]:
        """The near pairs among ``pictures`` of case ``case_id``."""
        wanted = frozenset(p.md5 for p in pictures)
        key = (case_id, threshold_bits)
        with self._lock:
            cached = self._cases.get(key)
        if cached is not None and wanted <= cached[0]:
            return cached[1]
        pairs = near_pairs(pictures, threshold_bits)
        with self._lock:
            self._cases[key] = (wanted, pairs)
        return pairs


def queue(
    conn: Connection, case_id: int, threshold_bits: int = 31, cache: PairCache | None = None
) -> list[Group]:
    """The grading queue of a case: groups holding new material first, then in scan order."""
    pictures = ungraded_pictures(conn, case_id)
    pairs = None if cache is None else cache.pairs(case_id, pictures, threshold_bits)
    groups = group_pictures(pictures, threshold_bits, pairs)
    new = new_material(conn, case_id)
    for g in groups:
        g.new_material = any(p.md5 in new for p in g.pictures)
    return sorted(groups, key=lambda g: not g.new_material)


def _distance(a: Picture, b: Picture) -> int:
    """Bits between ``b`` and the nearest rotation or flip of ``a`` (what joined them)."""
    if a.pdq is None or b.pdq is None:
        return 0 if a is b else -1
    other = int.from_bytes(b.pdq, "big")
    return min((int.from_bytes(v, "big") ^ other).bit_count() for v in _variants(a))
