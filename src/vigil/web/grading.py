"""Grades: first grader's decision on a group, undo, second grader's view, resolution.

One *action* is one decision on one group (its ``grade.group_key``: the group's
key plus a random suffix). Every step is one transaction with its audit entry
in the case's chain and its effect on the local graded set (graded_set.py).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Row, delete, select, update
from sqlalchemy.exc import IntegrityError

from vigil.accounts.users import User
from vigil.audit import append, case_scope
from vigil.errors import VigilError
from vigil.hashsets.schemes import load_scheme
from vigil.store.schema import evidence, exhibit, grade, item, scan_run
from vigil.web import graded_set, labels
from vigil.web.grouping import MEDIA

MAX_AUDIT_MD5S = 100

RESOLVER_THIRD = "third officer"
RESOLVER_GRADER = "one of the graders (small-team setting)"
"""What a ``grade.resolve`` audit entry says of who settled the disagreement."""


class GradeError(VigilError):
    """A grade that cannot be made as asked (the queue changed, a wrong category …)."""


@dataclass(slots=True)
class Action:
    """One decision and what became of it, for the second grader."""

    key: str
    category: str
    graded_by: str
    graded_at: datetime
    item_ids: list[int] = field(default_factory=list)
    md5s: list[str] = field(default_factory=list)
    second_category: str | None = None
    second_by: str | None = None
    final_category: str | None = None
    resolved_by: str | None = None

    @property
    def state(self) -> str:
        """``awaiting`` a second grade, ``agreed``, ``disputed`` or ``resolved``."""
        if self.second_category is None:
            return "awaiting"
        if self.second_category == self.category:
            return "agreed"
        return "resolved" if self.final_category is not None else "disputed"

    def as_json(self, hide_first: bool = False) -> dict[str, Any]:
        """For the second-grader page; ``hide_first`` leaves the first grade out (blind)."""
        return {
            "key": self.key,
            "category": None if hide_first else self.category,
            "graded_by": self.graded_by,
            "graded_at": self.graded_at.isoformat(),
            "items": len(self.item_ids),
            "item_ids": self.item_ids,
            "pictures": sorted(set(self.md5s)),
            "representatives": _representatives(self.item_ids, self.md5s),
            "second_category": self.second_category,
            "second_by": self.second_by,
            "final_category": self.final_category,
            "resolved_by": self.resolved_by,
            "state": self.state,
        }


def check_category(case_row: Row[Any], category: str) -> str:
    """``category`` when the case's scheme defines it, else GradeError."""
    keys = [c.key for c in load_scheme(case_row.scheme).categories]
    if category not in keys:
        raise GradeError(f"unknown category {category!r} (known: {', '.join(keys)})")
    return category


def grade_items(
    conn: Connection,
    case_row: Row[Any],
    user: User,
    item_ids: list[int],
    category: str,
    group_key: str,
    set_name: str,
) -> Action:
    """Grade every item of a group (and every other ungraded copy of its MD5s) as ``category``."""
    check_category(case_row, category)
    if not item_ids or len(set(item_ids)) != len(item_ids):
        raise GradeError("a grade needs the group's items, each once")
    rows = _ungraded(conn, case_row.id, item.c.id.in_(item_ids))
    if len(rows) != len(item_ids):
        raise GradeError("the queue changed (someone graded part of this group): reload")
    copies = _ungraded(conn, case_row.id, item.c.md5.in_(sorted({r.md5 for r in rows})))
    now = datetime.now(UTC)
    key = f"{group_key[:64]}/{secrets.token_hex(4)}"
    rows_to_insert = [
        {
            "case_id": case_row.id,
            "item_id": r.id,
            "group_key": key,
            "md5": r.md5,
            "sha1": r.sha1,
            "sha256": r.sha256,
            "pdq": r.pdq,
            "category": category,
            "graded_by": user.name,
            "graded_at": now,
        }
        for r in copies
    ]
    try:
        with conn.begin_nested():
            conn.execute(grade.insert(), rows_to_insert)
    except IntegrityError as exc:  # another officer graded some of them a moment ago
        raise GradeError("the queue changed (someone graded part of this group): reload") from exc
    set_id = graded_set.ensure_set(conn, set_name, case_row.scheme)
    graded_set.apply(conn, set_id, set_name, copies, category)
    md5s = sorted({r.md5.hex() for r in copies})
    detail = {
        "category": category,
        "items": len(copies),
        "md5": md5s[:MAX_AUDIT_MD5S],
        "graded_set": set_name,
    }
    append(conn, case_scope(case_row.id), user.name, "grade", key, detail)
    return Action(key, category, user.name, now, [int(r.id) for r in copies], md5s)


def undo_last(conn: Connection, case_row: Row[Any], user: User, set_name: str) -> Action | None:
    """Take back the user's latest decision in the case, unless a second grader has seen it."""
    last = conn.execute(
        select(grade.c.group_key)
        .where(grade.c.case_id == case_row.id, grade.c.graded_by == user.name)
        .order_by(grade.c.graded_at.desc(), grade.c.id.desc())
        .limit(1)
    ).first()
    if last is None:
        return None
    action = _actions(conn, case_row.id, grade.c.group_key == last.group_key)[0]
    if action.second_category is not None:
        raise GradeError("that grade was already second-graded: ask a reviewer to resolve it")
    items = _items(conn, action.item_ids)
    set_id = graded_set.ensure_set(conn, set_name, case_row.scheme)
    conn.execute(delete(grade).where(grade.c.group_key == action.key))
    graded_set.apply(conn, set_id, set_name, items, None)
    detail = {"category": action.category, "items": len(action.item_ids)}
    append(conn, case_scope(case_row.id), user.name, "grade.undo", action.key, detail)
    return action


def actions(conn: Connection, case_id: int) -> list[Action]:
    """Every decision in the case, oldest first."""
    return _actions(conn, case_id, None)


def second_grade(
    conn: Connection, case_row: Row[Any], user: User, key: str, category: str
) -> Action:
    """Record the second grader's independent decision; agreement settles the grade."""
    check_category(case_row, category)
    action = _one(conn, case_row.id, key)
    if action.graded_by == user.name:
        raise GradeError("a second grade must come from someone other than the first grader")
    if action.second_category is not None:
        raise GradeError(f"already second-graded by {action.second_by}")
    now = datetime.now(UTC)
    values: dict[str, Any] = {"second_category": category, "second_by": user.name, "second_at": now}
    agree = category == action.category
    if agree:
        values.update(final_category=category, resolved_by=user.name, resolved_at=now)
    conn.execute(update(grade).where(grade.c.group_key == key).values(**values))
    detail = {"first": action.category, "second": category, "agree": agree}
    append(conn, case_scope(case_row.id), user.name, "grade.second", key, detail)
    return _one(conn, case_row.id, key)


def undo_second(conn: Connection, case_row: Row[Any], user: User) -> Action | None:
    """Take back the user's latest second grade in the case, unless it was resolved since.

    An agreeing second grade had settled the final grade: that is cleared too (the
    graded set keeps the first grade, which it held before). A disagreement a third
    officer has resolved stays as it is.
    """
    last = conn.execute(
        select(grade.c.group_key)
        .where(grade.c.case_id == case_row.id, grade.c.second_by == user.name)
        .order_by(grade.c.second_at.desc(), grade.c.id.desc())
        .limit(1)
    ).first()
    if last is None:
        return None
    action = _one(conn, case_row.id, last.group_key)
    if action.state == "resolved":
        raise GradeError(
            f"that disagreement was already resolved by {action.resolved_by}: it stays as it is"
        )
    conn.execute(
        update(grade)
        .where(grade.c.group_key == action.key)
        .values(
            second_category=None,
            second_by=None,
            second_at=None,
            final_category=None,
            resolved_by=None,
            resolved_at=None,
        )
    )
    detail = {"second": action.second_category, "items": len(action.item_ids)}
    append(conn, case_scope(case_row.id), user.name, "grade.second.undo", action.key, detail)
    return action


def files_of(conn: Connection, item_ids: list[int]) -> dict[int, dict[str, str]]:
    """What names each item for a person: file name, path, exhibit reference, location."""
    if not item_ids:
        return {}
    rows = conn.execute(
        select(item.c.id, item.c.name, item.c.display, item.c.location, exhibit.c.reference)
        .join(evidence, evidence.c.id == item.c.evidence_id)
        .outerjoin(exhibit, exhibit.c.id == evidence.c.exhibit_id)
        .where(item.c.id.in_(item_ids))
    )
    return {
        int(r.id): {
            "name": r.name,
            "path": r.display,
            "exhibit": r.reference or "",
            "location": labels.label(r.location),
        }
        for r in rows
    }


def resolve(
    conn: Connection,
    case_row: Row[Any],
    user: User,
    key: str,
    category: str,
    set_name: str,
    allow_grader: bool = False,
) -> Action:
    """Settle a disagreement: the final category goes to the graded set.

    The resolver must be a third officer, neither of the two graders, unless
    ``allow_grader`` (a small team's setting); the audit entry says which it was.
    """
    check_category(case_row, category)
    action = _one(conn, case_row.id, key)
    if action.state != "disputed":
        raise GradeError(f"nothing to resolve: this grade is {action.state}")
    grader = user.name in (action.graded_by, action.second_by)
    if not may_resolve(action, user, allow_grader):
        raise GradeError(
            "a disagreement is resolved by a third officer, neither of its two graders "
            "(a small team can serve with --allow-grader-resolve)"
        )
    now = datetime.now(UTC)
    conn.execute(
        update(grade)
        .where(grade.c.group_key == key)
        .values(final_category=category, resolved_by=user.name, resolved_at=now)
    )
    set_id = graded_set.ensure_set(conn, set_name, case_row.scheme)
    graded_set.apply(conn, set_id, set_name, _items(conn, action.item_ids), category)
    detail = {
        "first": action.category,
        "second": action.second_category,
        "final": category,
        "graders": [action.graded_by, action.second_by],
        "resolver": RESOLVER_GRADER if grader else RESOLVER_THIRD,
    }
    append(conn, case_scope(case_row.id), user.name, "grade.resolve", key, detail)
    return _one(conn, case_row.id, key)


def may_resolve(action: Action, user: User, allow_grader: bool) -> bool:
    """Whether ``user`` may settle ``action``'s disagreement: a third officer, or either
    grader when ``allow_grader`` (the small-team setting)."""
    return allow_grader or user.name not in (action.graded_by, action.second_by)


def _ungraded(conn: Connection, case_id: int, condition: Any) -> list[Row[Any]]:
    graded = select(grade.c.item_id).where(grade.c.case_id == case_id)
    return list(
        conn.execute(
            select(item)
            .join(scan_run, scan_run.c.id == item.c.run_id)
            .where(
                condition,
                scan_run.c.case_id == case_id,
                item.c.review == "unknown",
                item.c.status == "ok",
                item.c.family.in_(MEDIA),
                item.c.md5.is_not(None),
                item.c.id.not_in(graded),
            )
            .order_by(item.c.id)
        ).all()
    )


def _items(conn: Connection, ids: list[int]) -> list[Row[Any]]:
    return list(conn.execute(select(item).where(item.c.id.in_(ids))).all())


def _one(conn: Connection, case_id: int, key: str) -> Action:
    found = _actions(conn, case_id, grade.c.group_key == key)
    if not found:
        raise GradeError("no such grade in this case")
    return found[0]


def _actions(conn: Connection, case_id: int, condition: Any) -> list[Action]:
    query = select(grade).where(grade.c.case_id == case_id).order_by(grade.c.id)
    if condition is not None:
        query = query.where(condition)
    found: dict[str, Action] = {}
    for r in conn.execute(query):
        action = found.get(r.group_key)
        if action is None:
            action = found[r.group_key] = Action(
                r.group_key,
                r.category,
                r.graded_by,
                _utc(r.graded_at),
                second_category=r.second_category,
                second_by=r.second_by,
                final_category=r.final_category,
                resolved_by=r.resolved_by,
            )
        action.item_ids.append(int(r.item_id))
        action.md5s.append(r.md5.hex() if r.md5 else "")
    return list(found.values())


def _representatives(item_ids: list[int], md5s: list[str]) -> list[int]:
    seen: dict[str, int] = {}
    for item_id, md5 in zip(item_ids, md5s, strict=True):
        seen.setdefault(md5, item_id)
    return list(seen.values())


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
