"""A case's figures for trends: counts only, never a name, a path or a hash.

One ``case_trend`` row per case, rewritten with the case's other summaries
(:mod:`vigil.crosscase.refresh`) and told when the first report was written.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, delete, func, insert, select, update

from vigil.cases.counting import summarise
from vigil.cases.runs import counted_evidence
from vigil.store.schema import case, case_trend, evidence, exhibit, finding, item, scan_run

if TYPE_CHECKING:
    from vigil.crosscase.refresh import CaseHash

LOCATIONS = ("live", "archive", "deleted", "carved")


def case_figures(conn: Connection, case_id: int, hashes: list[CaseHash]) -> dict[str, Any]:
    """Work out and store the case's trend figures; returns them."""
    counted = list(counted_evidence(conn, case_id).values())
    media = conn.execute(
        select(item.c.family, item.c.location, func.count())
        .join(scan_run, scan_run.c.id == item.c.run_id)
        .where(
            scan_run.c.case_id == case_id,
            item.c.evidence_id.in_(counted),
            item.c.status == "ok",
            item.c.family.in_(("image", "video")),
        )
        .group_by(item.c.family, item.c.location)
    ).all()
    families: Counter[str] = Counter()
    places: Counter[str] = Counter()
    for family, location, count in media:
        families[family] += count
        places[location] += count
    run_ids = select(evidence.c.run_id).where(evidence.c.id.in_(counted))
    indicators = sorted(
        conn.execute(select(finding.c.family).where(finding.c.run_id.in_(run_ids)).distinct())
        .scalars()
        .all()
    )
    name = conn.execute(select(case.c.name).where(case.c.id == case_id)).scalar_one()
    summary = summarise(conn, name)
    previous = conn.execute(
        select(case_trend.c.figures).where(case_trend.c.case_id == case_id)
    ).scalar()
    figures: dict[str, Any] = {
        "media": families["image"] + families["video"],
        "images": families["image"],
        "videos": families["video"],
        "unique": len(hashes),
        "categories": {
            label: detail.total.instances
            for label, detail in summary.categories.items()
            if detail.total.instances
        },
        "storage": {place: places[place] for place in LOCATIONS if places[place]},
        "indicators": indicators,
        "new": sum(1 for h in hashes if h.new_material),
        "known": sum(1 for h in hashes if h.in_set),
        "seized": _seized(conn, case_id),
        "reported": (previous or {}).get("reported"),
    }
    conn.execute(delete(case_trend).where(case_trend.c.case_id == case_id))
    conn.execute(
        insert(case_trend).values(
            case_id=case_id, scanned_at=_scanned_at(conn, case_id), figures=figures
        )
    )
    return figures


def note_report(conn: Connection, case_id: int, when: datetime) -> None:
    """Record the first report of the case (for "time from seizure to report")."""
    figures = conn.execute(
        select(case_trend.c.figures).where(case_trend.c.case_id == case_id)
    ).scalar()
    if figures is None or figures.get("reported"):
        return
    conn.execute(
        update(case_trend)
        .where(case_trend.c.case_id == case_id)
        .values(figures={**figures, "reported": when.astimezone(UTC).isoformat()})
    )


def _scanned_at(conn: Connection, case_id: int) -> datetime:
    """When the case's first scan finished (now, for one still running)."""
    first = conn.execute(
        select(func.min(scan_run.c.finished_at)).where(
            scan_run.c.case_id == case_id, scan_run.c.status == "complete"
        )
    ).scalar()
    return first if first is not None else datetime.now(UTC)


def _seized(conn: Connection, case_id: int) -> str | None:
    """The earliest seizure date of the case's exhibits (ISO date), when recorded."""
    dates = [
        d[:10]
        for d in conn.execute(
            select(exhibit.c.seized_when).where(
                exhibit.c.case_id == case_id, exhibit.c.seized_when.is_not(None)
            )
        ).scalars()
        if d
    ]
    return min(dates) if dates else None
