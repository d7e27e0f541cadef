"""First seen: per MD5, when and in which case the store first saw it, and new material.

*New material* is media that no (not known-good) set holds and that no earlier
case held, exactly or within the PDQ threshold: possibly an unidentified
victim, so victim-identification work starts there. The flag is worked out
when a scan finishes (:mod:`vigil.crosscase.refresh`); these calls only read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, func, select

from vigil.crosscase.refresh import utc
from vigil.store.schema import case, case_hash

NEW_MATERIAL = "new material — possible unidentified victim"
"""What the queue, the report and the JSON call it."""


@dataclass(frozen=True, slots=True)
class FirstSeen:
    """Where an MD5 was first seen, and in how many cases in all."""

    md5: str
    case: str
    at: datetime
    cases: int


def first_seen(conn: Connection, md5: bytes) -> FirstSeen | None:
    """When and in which case ``md5`` was first seen (None: in no case)."""
    row = conn.execute(
        select(case.c.name, case_hash.c.first_seen_at)
        .join(case, case.c.id == case_hash.c.case_id)
        .where(case_hash.c.md5 == md5)
        .order_by(case_hash.c.first_seen_at, case_hash.c.case_id)
        .limit(1)
    ).first()
    if row is None:
        return None
    count = conn.execute(
        select(func.count()).select_from(case_hash).where(case_hash.c.md5 == md5)
    ).scalar_one()
    return FirstSeen(md5.hex(), row.name, utc(row.first_seen_at), int(count))


def new_material(conn: Connection, case_id: int) -> set[str]:
    """The case's new-material MD5s (hex)."""
    rows = conn.execute(
        select(case_hash.c.md5).where(
            case_hash.c.case_id == case_id, case_hash.c.new_material.is_(True)
        )
    ).scalars()
    return {bytes(m).hex() for m in rows}
