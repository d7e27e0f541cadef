"""Plain words for the stored tokens an officer sees: audit actions, categories, states.

Pages show the label; the raw token stays one click away (a ``<details>``) for
the expert who searches the database or the JSON report by it. A token with no
label here is shown as itself, made readable (``foo_bar.baz`` → "Foo bar baz").
"""

from __future__ import annotations

from typing import Any

AUDIT_ACTIONS: dict[str, str] = {
    "case.assign": "Officer assigned to the case",
    "case.create": "Case created",
    "case.items": "Case inventory recorded",
    "case.rematch": "Case re-matched against the hash sets",
    "case.unassign": "Officer's assignment removed",
    "check.finish": "Device check finished",
    "check.start": "Device check started",
    "exhibit.create": "Exhibit added",
    "exhibit.edit": "Exhibit details changed",
    "exhibit.rescan": "Exhibit scanned again",
    "grade": "Group graded",
    "grade.resolve": "Disagreement resolved",
    "grade.second": "Second grade given",
    "grade.second.undo": "Second grade taken back",
    "grade.undo": "Grade taken back",
    "hashset.export": "Hash set exported",
    "hashset.import": "Hash set imported",
    "hashset.remove": "Hash set removed",
    "indicators.evaluate": "Indicators evaluated",
    "items.export": "Items exported",
    "login": "Logged in",
    "login.failed": "Login refused",
    "login.throttled": "Login slowed down (too many tries)",
    "logout": "Logged out",
    "media.reveal": "Picture revealed",
    "note.add": "Case note written",
    "report": "Report written",
    "scan.finish": "Scan finished",
    "scan.resume": "Scan resumed",
    "scan.start": "Scan started",
    "tag.add": "Items tagged",
    "tag.remove": "Tag taken off items",
    "trends.min_cases": "Trends privacy threshold changed",
    "user.add": "Account created",
    "user.disable": "Account disabled",
    "user.enable": "Account enabled",
    "user.locked": "Account locked after failed logins",
    "user.passwd": "Password set",
    "user.settings": "Own settings changed",
}
"""Every audit action Vigil writes → what it means, in a sentence fragment."""

CATEGORIES: dict[str, str] = {
    "A": "Category A",
    "B": "Category B",
    "C": "Category C",
    "not_indecent": "Not indecent",
    "uncategorised": "Uncategorised",
}

STATES: dict[str, str] = {
    "awaiting": "Awaiting a second grade",
    "agreed": "Agreed",
    "disputed": "Disputed",
    "resolved": "Resolved by a third decision",
}

LOCATIONS: dict[str, str] = {
    "live": "Live file",
    "archive": "Inside an archive",
    "deleted": "Deleted (recovered)",
    "carved": "Carved from free space",
}

BASES: dict[str, str] = {
    "exact": "Exact hash match",
    "perceptual": "Perceptual (PDQ) match only",
    "graded": "Graded in review",
}
"""Why an item counts as a hit (cases/counting.py ``basis``)."""

DETAIL_KEYS: dict[str, str] = {
    "md5": "MD5s",
    "first": "First grade",
    "second": "Second grade",
    "final": "Final grade",
    "agree": "Agrees",
    "graded_set": "Graded set",
    "resolver": "Resolved by",
}

_ALL: dict[str, str] = {**AUDIT_ACTIONS, **CATEGORIES, **STATES, **LOCATIONS, **BASES}


def readable(token: str) -> str:
    """A token no table names, as words: ``min_cases`` → "Min cases"."""
    words = token.replace("_", " ").replace(".", " ").strip()
    return words[:1].upper() + words[1:] if words else token


def label(token: object) -> str:
    """The human label of any token Vigil stores (an action, a category, a state …)."""
    if token is None:
        return ""
    text = str(token)
    return _ALL.get(text) or readable(text)


def action_label(action: str) -> str:
    """What an audit action means."""
    return AUDIT_ACTIONS.get(action) or readable(action)


def detail_summary(detail: Any) -> str:
    """An audit entry's detail in words: "First grade: Category A · Items: 3"; long lists
    are counted, not listed (the raw JSON beside it has them)."""
    if not isinstance(detail, dict):
        return "" if detail is None else str(detail)
    parts = []
    for key, value in detail.items():
        name = DETAIL_KEYS.get(key) or readable(str(key))
        if isinstance(value, list):
            shown = ", ".join(label(v) for v in value) if len(value) <= 3 else f"{len(value)}"
        elif isinstance(value, bool):
            shown = "yes" if value else "no"
        elif isinstance(value, dict):
            shown = ", ".join(f"{readable(str(k))} {v}" for k, v in value.items())
        elif isinstance(value, str) and key in ("first", "second", "final", "category"):
            shown = label(value)
        else:
            shown = str(value)
        parts.append(f"{name}: {shown}")
    return " · ".join(parts)
