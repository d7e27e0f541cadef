"""Blind second grading: what a second grader may not see before giving their own grade.

A reviewer may give any decision of an assigned case its second grade, so until
a decision has one, its first grade is hidden from every reviewer on every
page: the second-grading view, the audit log (the ``grade`` entry and, for a
decision taken back and made again, the ``grade.undo`` one), and the case page,
whose counts and hits would otherwise name the category through the graded
set. Once the second grade is in (by anyone), the first grade is shown.
Examiners and admins never second-grade, so they see everything.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import ColumnElement, select

from vigil.accounts.users import User
from vigil.audit.log import AuditEntry
from vigil.store.schema import grade, item
from vigil.web.grading import Action

SECOND_GRADER_ROLE = "reviewer"

HIDDEN = "hidden until you have given your own grade"
"""Shown in place of a first grade the viewer must not see yet."""

GRADE_ENTRIES = frozenset({"grade", "grade.undo"})
"""Audit actions whose detail names a first grade."""


def is_blind(user: User) -> bool:
    """Whether ``user`` gives second grades (and so must not see first grades early)."""
    return user.role == SECOND_GRADER_ROLE


def hidden_from(user: User, action: Action) -> bool:
    """Whether ``action``'s first grade is hidden from ``user``: it awaits their second grade."""
    return is_blind(user) and action.state == "awaiting" and action.graded_by != user.name


def unconfirmed_items(user: User) -> ColumnElement[bool]:
    """Items whose only grade is a first grade awaiting a second one (not ``user``'s own).

    A condition on ``item``, for leaving such items out of a blind viewer's counts.
    """
    awaiting = select(grade.c.item_id).where(
        grade.c.second_category.is_(None), grade.c.graded_by != user.name
    )
    return item.c.id.in_(awaiting)


@dataclass(frozen=True, slots=True)
class BlindView:
    """The decisions of one case as ``user`` may see them."""

    user: User
    actions: list[Action]

    @property
    def blind(self) -> bool:
        """Whether anything is hidden from this viewer at all."""
        return any(hidden_from(self.user, a) for a in self.actions)

    def hidden_items(self) -> int:
        """Items graded by decisions whose first grade is hidden from the viewer."""
        return sum(len(a.item_ids) for a in self.actions if hidden_from(self.user, a))

    def graded_counts(self) -> dict[str, int]:
        """Items per effective category, leaving out decisions hidden from the viewer."""
        counts: dict[str, int] = {}
        for a in self.actions:
            if not hidden_from(self.user, a):
                category = a.final_category or a.category
                counts[category] = counts.get(category, 0) + len(a.item_ids)
        return counts

    def audit_entries(self, found: list[AuditEntry]) -> list[AuditEntry]:
        """``found`` with the first grades the viewer must not see yet blanked out.

        A ``grade`` or ``grade.undo`` entry is blanked when its decision is hidden,
        or when it shares a picture with a hidden decision (a grade taken back and
        made again names the category the new decision probably has).
        """
        hidden = [a for a in self.actions if hidden_from(self.user, a)]
        if not hidden:
            return found
        hidden_keys = {a.key for a in hidden}
        hidden_md5s = {md5 for a in hidden for md5 in a.md5s}
        md5s_of: dict[str, set[str]] = {}
        for entry in found:
            if entry.action == "grade" and entry.target and entry.detail:
                md5s_of[entry.target] = set(entry.detail.get("md5") or [])
        out = []
        for entry in found:
            target = entry.target or ""
            if entry.action in GRADE_ENTRIES and (
                target in hidden_keys or md5s_of.get(target, set()) & hidden_md5s
            ):
                detail = dict(entry.detail or {})
                detail["category"] = HIDDEN
                entry = replace(entry, detail=detail)
            out.append(entry)
        return out
