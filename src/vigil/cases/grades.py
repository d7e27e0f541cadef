"""What the review grades of a case say for counting: who graded each item, when, how settled.

An item has at most one ``grade`` row (made in the web app, see
``vigil.web.grading``). Any grade, *uncategorised* included, takes the item
out of "awaiting grading": an officer has looked at it and decided, and the
grading queue no longer offers it. The report's basis names each grade's
state:

- ``single``    graded once, no second grader yet
- ``agreed``    a second grader gave the same category
- ``disputed``  a second grader differed and nobody has resolved it yet
- ``resolved``  a second grader differed and a reviewer settled the category
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, exists, func, select

from vigil.hashsets.schemes import Scheme
from vigil.store.schema import grade, item

GRADE_STATES = ("single", "agreed", "resolved", "disputed")
"""Every state a grade can be in, in the order reports list them."""


@dataclass(slots=True)
class GradeRecord:
    """How one item was graded in review (category labels in the case's scheme)."""

    state: str  # one of GRADE_STATES
    category: str  # what the grade says now: the final category when settled, else the first
    first_category: str
    graded_by: str
    graded_at: datetime
    second_category: str | None
    second_by: str | None
    second_at: datetime | None
    final_category: str | None
    resolved_by: str | None
    resolved_at: datetime | None


def awaiting_grading(review: ColumnElement[Any] | None = None) -> ColumnElement[bool]:
    """Items an officer still has to grade: unknown media with no grade (any category) yet.

    ``review`` is the item's review state as a result revision has it (default:
    the newest, ``item.review``).
    """
    graded = exists().where(grade.c.item_id == item.c.id)
    state = item.c.review if review is None else review
    return and_(state == "unknown", ~graded)


def grade_state(first: str, second: str | None, final: str | None) -> str:
    """The state (see the module doc) of a grade from its first, second and final categories."""
    if second is None:
        return "single"
    if second == first:
        return "agreed"
    return "resolved" if final is not None else "disputed"


def grade_state_counts(conn: Connection, scope: ColumnElement[bool]) -> dict[str, int]:
    """Items meeting ``scope`` (an ``item`` condition) graded in review, per state."""
    counts = dict.fromkeys(GRADE_STATES, 0)
    query = (
        select(grade.c.category, grade.c.second_category, grade.c.final_category, func.count())
        .join(item, item.c.id == grade.c.item_id)
        .where(scope)
        .group_by(grade.c.category, grade.c.second_category, grade.c.final_category)
    )
    for first, second, final, count in conn.execute(query):
        counts[grade_state(first, second, final)] += int(count)
    return counts


def grade_records(
    conn: Connection, scope: ColumnElement[bool], scheme: Scheme
) -> dict[int, GradeRecord]:
    """The grade of every item meeting ``scope`` that has one, by item id."""
    query = select(grade).join(item, item.c.id == grade.c.item_id).where(scope)
    out = {}
    for r in conn.execute(query):
        state = grade_state(r.category, r.second_category, r.final_category)
        out[int(r.item_id)] = GradeRecord(
            state=state,
            category=scheme.label(r.final_category or r.category),
            first_category=scheme.label(r.category),
            graded_by=r.graded_by,
            graded_at=_utc(r.graded_at) or r.graded_at,
            second_category=_label(scheme, r.second_category),
            second_by=r.second_by,
            second_at=_utc(r.second_at),
            final_category=_label(scheme, r.final_category),
            resolved_by=r.resolved_by,
            resolved_at=_utc(r.resolved_at),
        )
    return out


def _label(scheme: Scheme, key: str | None) -> str | None:
    return scheme.label(key) if key is not None else None


def _utc(value: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; every time in a report is UTC.
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
