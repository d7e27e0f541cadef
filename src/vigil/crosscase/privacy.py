"""k-anonymity of trends: a figure is shown only when at least k cases make it up.

``k`` (the ``min_cases`` setting) is 5 unless an admin raised it; it is never
lowered, neither in the store nor for one request, so no query can get a cell
made of fewer cases than the team agreed on. A suppressed cell says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select

from vigil.audit import GLOBAL_SCOPE, append
from vigil.errors import UsageError
from vigil.store.schema import crosscase_setting

DEFAULT_K = 5
SETTING = "min_cases"


@dataclass(frozen=True, slots=True)
class Cell:
    """One figure of a trend table, or its suppression."""

    value: float | int | None
    cases: int | None
    suppressed: bool = False

    def as_json(self) -> dict[str, Any]:
        """The cell in exports: a suppressed one carries neither value nor case count."""
        if self.suppressed:
            return {"value": None, "suppressed": True}
        return {"value": self.value, "cases": self.cases, "suppressed": False}

    def text(self, k: int) -> str:
        """The cell for a table or CSV."""
        if self.suppressed:
            return f"suppressed (<{k} cases)"
        if self.value is None:
            return ""
        if isinstance(self.value, float):
            return f"{self.value:.2f}"
        return str(self.value)


def cell(value: float | int | None, contributors: int, k: int) -> Cell:
    """``value`` made up from ``contributors`` cases: suppressed when 0 < contributors < k."""
    if 0 < contributors < k:
        return Cell(None, None, suppressed=True)
    return Cell(value, contributors)


def min_cases(conn: Connection) -> int:
    """The store's k (at least :data:`DEFAULT_K`)."""
    value = conn.execute(
        select(crosscase_setting.c.value).where(crosscase_setting.c.name == SETTING)
    ).scalar()
    return max(DEFAULT_K, int(value or 0))


def effective_k(conn: Connection, asked: int | None) -> int:
    """The k for one request: the store's, or a higher one asked for; never lower."""
    k = min_cases(conn)
    if asked is None:
        return k
    if asked < k:
        raise UsageError(f"the minimum number of cases per figure is {k}; it cannot be lowered")
    return asked


def raise_min_cases(conn: Connection, k: int, actor: str) -> int:
    """Raise the store's k to ``k`` (an admin's act, audited); lowering it is refused."""
    current = min_cases(conn)
    if k < current:
        raise UsageError(
            f"the minimum number of cases per figure is {current}; it can only be raised"
        )
    conn.execute(delete(crosscase_setting).where(crosscase_setting.c.name == SETTING))
    conn.execute(
        insert(crosscase_setting).values(
            name=SETTING, value=k, set_by=actor, set_at=datetime.now(UTC)
        )
    )
    append(conn, GLOBAL_SCOPE, actor, "trends.min_cases", detail={"from": current, "to": k})
    return k
