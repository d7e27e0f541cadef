"""Keeping the cross-case summaries current: run when a scan finishes and after a re-match.

For one case this rewrites its ``case_hash`` rows (one per distinct MD5 of the
media it counts), its ``case_link`` rows (every other case sharing media with
it, exactly or by PDQ) and its ``case_trend`` row. The cost is paid once per
scan, so that the links, first-seen and trends a request asks for read a few
indexed rows instead of every item of every case.

A media MD5 is *new material* when no (not known-good) set holds it and no
other case saw it, or a picture within the PDQ threshold of it, earlier.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
from sqlalchemy import Connection, and_, delete, func, insert, or_, select, update

from vigil.cases.runs import counted_evidence
from vigil.crosscase.figures import case_figures
from vigil.crosscase.near import near_rows
from vigil.hashing.pdq import LOW_QUALITY
from vigil.matching._arrays import PDQ_THRESHOLD
from vigil.store.schema import case, case_hash, case_link, item, scan_run

MEDIA = ("image", "video")
CHUNK = 900
"""MD5s per IN list (SQLite's bound-parameter limit is far above; PostgreSQL has none)."""


@dataclass(slots=True)
class CaseHash:
    """One distinct MD5 of a case's media, as the summary keeps it."""

    md5: bytes
    family: str
    pdq: bytes | None
    variants: bytes | None
    in_set: bool
    instances: int
    first_seen: datetime
    new_material: bool = True


@dataclass(slots=True)
class _Pair:
    exact_known: int = 0
    exact_new: int = 0
    near_known: int = 0
    near_new: int = 0


def utc(when: datetime) -> datetime:
    """``when`` as an aware UTC time (SQLite hands back naive ones)."""
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def refresh_all(conn: Connection, threshold_bits: int = PDQ_THRESHOLD) -> int:
    """Refresh every case, earliest scanned first (so first-seen is right); returns the count."""
    first_scan = (
        select(case.c.id, func.min(scan_run.c.started_at).label("first"))
        .join(scan_run, scan_run.c.case_id == case.c.id)
        .group_by(case.c.id)
        .order_by("first", case.c.id)
    )
    ids = [int(r.id) for r in conn.execute(first_scan)]
    for case_id in ids:
        refresh_case(conn, case_id, threshold_bits)
    return len(ids)


def refresh_case(conn: Connection, case_id: int, threshold_bits: int = PDQ_THRESHOLD) -> None:
    """Rewrite the case's media hashes, its links to other cases and its trend figures."""
    mine = _case_hashes(conn, case_id)
    conn.execute(delete(case_hash).where(case_hash.c.case_id == case_id))
    conn.execute(
        delete(case_link).where(or_(case_link.c.case_a == case_id, case_link.c.case_b == case_id))
    )
    pairs: dict[int, _Pair] = defaultdict(_Pair)
    later: set[tuple[int, bytes]] = set()
    _exact(conn, mine, pairs, later)
    _near(conn, mine, pairs, later, threshold_bits)
    _write(conn, case_id, mine, pairs, later)
    case_figures(conn, case_id, list(mine.values()))


def _case_hashes(conn: Connection, case_id: int) -> dict[bytes, CaseHash]:
    """The distinct media MD5s the case counts now, keeping each one's earliest sighting."""
    before = dict(
        conn.execute(
            select(case_hash.c.md5, case_hash.c.first_seen_at).where(case_hash.c.case_id == case_id)
        ).all()
    )
    rows = conn.execute(
        select(
            item.c.md5,
            item.c.family,
            item.c.pdq,
            item.c.pdq_quality,
            item.c.pdq_variants,
            item.c.review,
            scan_run.c.started_at,
        )
        .join(scan_run, scan_run.c.id == item.c.run_id)
        .where(
            scan_run.c.case_id == case_id,
            item.c.evidence_id.in_(list(counted_evidence(conn, case_id).values())),
            item.c.status == "ok",
            item.c.family.in_(MEDIA),
            item.c.md5.is_not(None),
            # Known-good only (NSRL and the like): shared by everyone, links no one.
            item.c.review != "known",
        )
        .order_by(item.c.id)
    )
    found: dict[bytes, CaseHash] = {}
    for r in rows:
        md5 = bytes(r.md5)
        seen = utc(r.started_at)
        have = found.get(md5)
        if have is None:
            good = r.family == "image" and r.pdq is not None and (r.pdq_quality or 0) >= LOW_QUALITY
            earlier = before.get(md5)
            found[md5] = CaseHash(
                md5,
                r.family,
                bytes(r.pdq) if good else None,
                bytes(r.pdq_variants) if good and r.pdq_variants else None,
                r.review == "hit",
                1,
                min(seen, utc(earlier)) if earlier is not None else seen,
            )
            continue
        have.instances += 1
        have.in_set = have.in_set or r.review == "hit"
        have.first_seen = min(have.first_seen, seen)
    for h in found.values():
        h.new_material = not h.in_set
    return found


def _exact(
    conn: Connection,
    mine: dict[bytes, CaseHash],
    pairs: dict[int, _Pair],
    later: set[tuple[int, bytes]],
) -> None:
    """Other cases holding the same MD5s: counted per case, and first-seen settled."""
    keys = list(mine)
    for first in range(0, len(keys), CHUNK):
        chunk = keys[first : first + CHUNK]
        rows = conn.execute(
            select(
                case_hash.c.case_id,
                case_hash.c.md5,
                case_hash.c.in_set,
                case_hash.c.first_seen_at,
                case_hash.c.new_material,
            ).where(case_hash.c.md5.in_(chunk))
        )
        for r in rows:
            h = mine[bytes(r.md5)]
            pair = pairs[int(r.case_id)]
            if h.in_set or r.in_set:
                pair.exact_known += 1
            else:
                pair.exact_new += 1
            _settle(h, int(r.case_id), bytes(r.md5), utc(r.first_seen_at), r.new_material, later)


def _near(
    conn: Connection,
    mine: dict[bytes, CaseHash],
    pairs: dict[int, _Pair],
    later: set[tuple[int, bytes]],
    threshold_bits: int,
) -> None:
    """Other cases' pictures within the PDQ threshold of this case's (a different MD5)."""
    hashed = [h for h in mine.values() if h.pdq is not None]
    if not hashed:
        return
    bank = conn.execute(
        select(
            case_hash.c.case_id,
            case_hash.c.md5,
            case_hash.c.pdq,
            case_hash.c.in_set,
            case_hash.c.first_seen_at,
            case_hash.c.new_material,
        ).where(case_hash.c.pdq.is_not(None))
    ).all()
    if not bank:
        return
    rows: list[bytes] = []
    owner: list[int] = []
    for number, h in enumerate(hashed):
        variants = _variants(h)
        rows.extend(variants)
        owner.extend([number] * len(variants))
    queries = np.frombuffer(b"".join(rows), np.uint8).reshape(-1, 32)
    bits = np.frombuffer(b"".join(bytes(r.pdq) for r in bank), np.uint8).reshape(-1, 32)
    seen: set[tuple[int, int]] = set()
    for query, row in near_rows(queries, bits, threshold_bits):
        h, other = hashed[owner[query]], bank[row]
        if bytes(other.md5) == h.md5 or (owner[query], row) in seen:
            continue  # the same MD5 is an exact link, counted once there
        seen.add((owner[query], row))
        pair = pairs[int(other.case_id)]
        if h.in_set or other.in_set:
            pair.near_known += 1
        else:
            pair.near_new += 1
        when = utc(other.first_seen_at)
        _settle(h, int(other.case_id), bytes(other.md5), when, other.new_material, later)


def _variants(h: CaseHash) -> list[bytes]:
    raw = h.variants
    if raw and len(raw) % 32 == 0:
        return [raw[i : i + 32] for i in range(0, len(raw), 32)]
    return [h.pdq or b""]


def _settle(
    h: CaseHash,
    other_case: int,
    other_md5: bytes,
    other_seen: datetime,
    other_new: bool,
    later: set[tuple[int, bytes]],
) -> None:
    """Whichever of the two sightings came first keeps the new-material flag."""
    if other_seen <= h.first_seen:
        h.new_material = False
    elif other_new:
        later.add((other_case, other_md5))


def _write(
    conn: Connection,
    case_id: int,
    mine: dict[bytes, CaseHash],
    pairs: dict[int, _Pair],
    later: set[tuple[int, bytes]],
) -> None:
    rows: list[dict[str, Any]] = [
        {
            "case_id": case_id,
            "md5": h.md5,
            "family": h.family,
            "pdq": h.pdq,
            "in_set": h.in_set,
            "instances": h.instances,
            "first_seen_at": h.first_seen,
            "new_material": h.new_material,
        }
        for h in mine.values()
    ]
    for first in range(0, len(rows), 5000):
        conn.execute(insert(case_hash), rows[first : first + 5000])
    links = [
        {
            "case_a": min(case_id, other),
            "case_b": max(case_id, other),
            "exact_known": p.exact_known,
            "exact_new": p.exact_new,
            "near_known": p.near_known,
            "near_new": p.near_new,
        }
        for other, p in sorted(pairs.items())
        if other != case_id
    ]
    if links:
        conn.execute(insert(case_link), links)
    # This case saw them first: a later case's copy is not new material any more.
    by_case: dict[int, list[bytes]] = defaultdict(list)
    for other, md5 in later:
        by_case[other].append(md5)
    for other, md5s in by_case.items():
        for first in range(0, len(md5s), CHUNK):
            chunk = md5s[first : first + CHUNK]
            where = and_(case_hash.c.case_id == other, case_hash.c.md5.in_(chunk))
            conn.execute(update(case_hash).where(where).values(new_material=False))
