"""Officers' tags on items (a bookmark is the tag ``bookmark``) and notes on a case.

Each is written with who and when, inside the caller's transaction, and
audited in the case's chain (``tag.add``, ``tag.remove``, ``note.add``): they
are the officers' own words about the evidence, so who wrote what is kept.
A tag is one line of at most 64 characters; a note at most 10,000.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, delete, func, insert, select

from vigil.audit import append, case_scope
from vigil.cases.runs import counted_evidence
from vigil.errors import UsageError
from vigil.store.schema import case_note, item, item_tag

BOOKMARK = "bookmark"
MAX_TAG = 64
MAX_NOTE = 10_000


@dataclass(frozen=True, slots=True)
class Note:
    """A note on a case."""

    id: int
    author: str
    at: datetime
    body: str


def clean_tag(raw: str) -> str:
    """The tag as stored: trimmed, one line, printable; a bad one is a UsageError."""
    tag = " ".join(raw.split())
    if not tag:
        raise UsageError("tag: give a name")
    if len(tag) > MAX_TAG:
        raise UsageError(f"tag: at most {MAX_TAG} characters")
    if any(unicodedata.category(c).startswith("C") for c in tag):
        raise UsageError("tag: letters, digits, spaces and punctuation only")
    return tag


def _case_items(conn: Connection, case_id: int, item_ids: list[int]) -> list[int]:
    """Those of ``item_ids`` that are items of the case's counted scans (others are refused)."""
    if not item_ids:
        raise UsageError("select at least one item")
    wanted = sorted(set(item_ids))
    evidence_ids = list(counted_evidence(conn, case_id).values())
    found = set(
        conn.execute(
            select(item.c.id).where(item.c.id.in_(wanted), item.c.evidence_id.in_(evidence_ids))
        ).scalars()
    )
    if len(found) != len(wanted):
        raise UsageError(f"{len(wanted) - len(found)} of the items chosen are not in this case")
    return wanted


def add_tag(conn: Connection, case_id: int, item_ids: list[int], raw: str, user: str) -> int:
    """Tag the items; returns how many did not have the tag yet (audited once for all)."""
    tag = clean_tag(raw)
    ids = _case_items(conn, case_id, item_ids)
    have = set(
        conn.execute(
            select(item_tag.c.item_id).where(item_tag.c.item_id.in_(ids), item_tag.c.tag == tag)
        ).scalars()
    )
    new = [i for i in ids if i not in have]
    now = datetime.now(UTC)
    if new:
        conn.execute(
            insert(item_tag).values(created_by=user, created_at=now),
            [
                {
                    "case_id": case_id,
                    "item_id": i,
                    "tag": tag,
                    "created_by": user,
                    "created_at": now,
                }
                for i in new
            ],
        )
        append(conn, case_scope(case_id), user, "tag.add", tag, {"items": new}, at=now)
    return len(new)


def remove_tag(conn: Connection, case_id: int, item_ids: list[int], raw: str, user: str) -> int:
    """Take the tag off the items; returns how many had it (audited once for all)."""
    tag = clean_tag(raw)
    ids = _case_items(conn, case_id, item_ids)
    had = sorted(
        conn.execute(
            select(item_tag.c.item_id).where(item_tag.c.item_id.in_(ids), item_tag.c.tag == tag)
        ).scalars()
    )
    if had:
        conn.execute(delete(item_tag).where(item_tag.c.item_id.in_(had), item_tag.c.tag == tag))
        append(conn, case_scope(case_id), user, "tag.remove", tag, {"items": had})
    return len(had)


def tags_of(conn: Connection, item_ids: list[int]) -> dict[int, list[str]]:
    """The tags of each item, sorted (items without tags are absent)."""
    found: dict[int, list[str]] = defaultdict(list)
    if not item_ids:
        return found
    rows = conn.execute(
        select(item_tag.c.item_id, item_tag.c.tag)
        .where(item_tag.c.item_id.in_(item_ids))
        .order_by(item_tag.c.item_id, item_tag.c.tag)
    )
    for r in rows:
        found[int(r.item_id)].append(str(r.tag))
    return found


def case_tags(conn: Connection, case_id: int) -> list[tuple[str, int]]:
    """Every tag used in the case with its number of items, by name."""
    rows = conn.execute(
        select(item_tag.c.tag, func.count())
        .where(item_tag.c.case_id == case_id)
        .group_by(item_tag.c.tag)
        .order_by(item_tag.c.tag)
    )
    return [(str(tag), int(n)) for tag, n in rows]


def add_note(conn: Connection, case_id: int, body: str, user: str) -> Note:
    """Write a note on the case (audited with its text)."""
    text = body.strip().replace("\r\n", "\n")
    if not text:
        raise UsageError("note: write something first")
    if len(text) > MAX_NOTE:
        raise UsageError(f"note: at most {MAX_NOTE:,} characters")
    now = datetime.now(UTC)
    result = conn.execute(
        insert(case_note).values(case_id=case_id, author=user, created_at=now, body=text)
    )
    note_id = int(result.inserted_primary_key[0]) if result.inserted_primary_key else 0
    append(conn, case_scope(case_id), user, "note.add", f"note:{note_id}", {"text": text}, at=now)
    return Note(note_id, user, now, text)


def notes(conn: Connection, case_id: int) -> list[Note]:
    """The case's notes, oldest first."""
    rows = conn.execute(
        select(case_note).where(case_note.c.case_id == case_id).order_by(case_note.c.id)
    )
    return [Note(int(r.id), str(r.author), _utc(r.created_at), str(r.body)) for r in rows]


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)
