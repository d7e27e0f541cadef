"""What removing a hash set would lose, told before it is done (CLI question, web page)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import distinct, func, select

from vigil.hashsets.library import get_set_row
from vigil.store.engine import Store
from vigil.store.schema import case, hashset_version, item, match, scan_run


@dataclass(frozen=True, slots=True)
class CaseHits:
    """A case whose scans matched the set, and how many of its items did."""

    case: str
    items: int


@dataclass(frozen=True, slots=True)
class RemovalImpact:
    """Everything a removal of set ``name`` takes away from the library."""

    name: str
    known_good: bool
    entries: int
    versions: int
    cases: list[CaseHits]

    def describe(self) -> str:
        """What goes: the set's entries and history, and the cases it matched."""
        kind = "known-good" if self.known_good else "graded"
        history = f"{self.versions} imported version{'s' if self.versions != 1 else ''}"
        text = f"{self.entries:,} {kind} entries and {history}"
        if not self.cases:
            return f"{text}; no case matched it"
        matched = ", ".join(f"{c.case} ({c.items:,} items)" for c in self.cases)
        return f"{text}; matched in case{'s' if len(self.cases) != 1 else ''} {matched}"


def removal_impact(store: Store, name: str) -> RemovalImpact:
    """What :func:`vigil.hashsets.library.remove_set` would remove (NotFoundError if no set)."""
    with store.connect() as conn:
        row = get_set_row(conn, name)
        versions = conn.execute(
            select(func.count())
            .select_from(hashset_version)
            .where(hashset_version.c.hashset_id == row.id)
        ).scalar_one()
        current = conn.execute(
            select(hashset_version.c.entry_count).where(
                hashset_version.c.id == row.current_version_id
            )
        ).scalar()
        matched = conn.execute(
            select(case.c.name, func.count(distinct(match.c.item_id)))
            .select_from(
                match.join(item, item.c.id == match.c.item_id)
                .join(scan_run, scan_run.c.id == item.c.run_id)
                .join(case, case.c.id == scan_run.c.case_id)
            )
            .where(match.c.hashset_id == row.id)
            .group_by(case.c.name)
            .order_by(case.c.name)
        ).all()
    return RemovalImpact(
        name=row.name,
        known_good=bool(row.known_good),
        entries=int(current or 0),
        versions=int(versions),
        cases=[CaseHits(str(n), int(c)) for n, c in matched],
    )
