"""The grading queue: a case's ungraded unknown media, grouped so one decision covers many.

Items with the same MD5 are one picture (exact duplicates). Pictures whose PDQ
hashes lie within the match threshold (31 bits by default, the distance at which a
scan would call them the same picture) are joined into one near-duplicate group,
transitively (single linkage). Low-quality PDQ hashes (< 50) join nothing.
Videos are grouped by MD5 only.

A group's key is its smallest MD5 (hex): stable while its members are.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import Connection, select

from vigil.hashing.pdq import LOW_QUALITY
from vigil.store.schema import grade, item, scan_run

MEDIA = ("image", "video")
CHUNK_ROWS = 512
"""Rows of the pairwise distance matrix computed at once (memory: rows × pictures bytes)."""


@dataclass(slots=True)
class Picture:
    """One distinct MD5 in the queue with every item (instance) that has it."""

    md5: str
    item_ids: list[int]
    family: str
    name: str
    pdq: bytes | None = None
    pdq_quality: int | None = None

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

    @property
    def item_ids(self) -> list[int]:
        """Every item the group's decision covers."""
        return [i for p in self.pictures for i in p.item_ids]

    def as_json(self) -> dict[str, object]:
        """The group for the grading page."""
        return {
            "key": self.key,
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
        )
        .join(scan_run, scan_run.c.id == item.c.run_id)
        .where(
            scan_run.c.case_id == case_id,
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
                r.md5.hex(), [int(r.id)], r.family, r.name, r.pdq, r.pdq_quality
            )
        else:
            picture.item_ids.append(int(r.id))
    return list(by_md5.values())


def group_pictures(pictures: list[Picture], threshold_bits: int = 31) -> list[Group]:
    """Join pictures within ``threshold_bits`` of each other; groups in order of first picture."""
    parent = list(range(len(pictures)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    hashed = [
        i
        for i, p in enumerate(pictures)
        if p.family == "image" and p.pdq is not None and (p.pdq_quality or 0) >= LOW_QUALITY
    ]
    if len(hashed) > 1:
        bits = np.frombuffer(b"".join(pictures[i].pdq or b"" for i in hashed), np.uint8)
        bits = bits.reshape(-1, 32)
        for start in range(0, len(hashed), CHUNK_ROWS):
            block = bits[start : start + CHUNK_ROWS]
            distances = np.bitwise_count(block[:, None, :] ^ bits[None, :, :]).sum(axis=2)
            for a, b in zip(*np.nonzero(distances <= threshold_bits), strict=True):
                i, j = hashed[start + int(a)], hashed[int(b)]
                if i < j:
                    ri, rj = find(i), find(j)
                    if ri != rj:
                        parent[max(ri, rj)] = min(ri, rj)
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


def queue(conn: Connection, case_id: int, threshold_bits: int = 31) -> list[Group]:
    """The grading queue of a case."""
    return group_pictures(ungraded_pictures(conn, case_id), threshold_bits)


def _distance(a: Picture, b: Picture) -> int:
    if a.pdq is None or b.pdq is None:
        return 0 if a is b else -1
    x = np.frombuffer(a.pdq, np.uint8) ^ np.frombuffer(b.pdq, np.uint8)
    return int(np.bitwise_count(x).sum())
