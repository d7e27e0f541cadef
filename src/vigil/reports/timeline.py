"""Timelines of media dates: file modification times, and EXIF taken dates beside them.

File dates say when a file was written to the medium it was found on, not
when a picture was taken; the report says so beside the chart. Taken dates
are the camera's clock (EXIF DateTimeOriginal), which has no time zone and
may never have been set right; the report says that too.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from sqlalchemy import Connection, select

from vigil.cases.grades import awaiting_grading
from vigil.reports.model import TimelineBin
from vigil.store.schema import item

MONTHS_MAX = 36
"""Above this many months between first and last date, the bins are years."""


def timeline(
    conn: Connection, run_ids: list[int], evidence_ids: list[int] | None = None
) -> list[TimelineBin]:
    """Image and video items by month (or year) of their file date, split by review state.

    ``evidence_ids``, when given, keeps only those scans' items (the counted
    run of each exhibit, not the runs a re-scan superseded).
    """
    if not run_ids:
        return []
    # "unknown" is what awaits grading: a picture graded uncategorised in review is "other".
    awaiting = awaiting_grading().label("awaiting")
    query = select(item.c.mtime, item.c.review, awaiting).where(
        item.c.run_id.in_(run_ids),
        item.c.family.in_(("image", "video")),
        item.c.mtime.is_not(None),
    )
    if evidence_ids is not None:
        query = query.where(item.c.evidence_id.in_(evidence_ids))
    dated = [
        (datetime.fromtimestamp(mtime, UTC), "unknown" if waiting else _settled(review))
        for mtime, review, waiting in conn.execute(query)
        if _plausible(mtime)
    ]
    return _bins(dated)


def taken_timeline(
    conn: Connection, run_ids: list[int], evidence_ids: list[int] | None = None
) -> list[TimelineBin]:
    """Pictures by month (or year) of their EXIF taken date, split by review state."""
    if not run_ids:
        return []
    awaiting = awaiting_grading().label("awaiting")
    query = select(item.c.exif_taken, item.c.review, awaiting).where(
        item.c.run_id.in_(run_ids),
        item.c.family.in_(("image", "video")),
        item.c.exif_taken.is_not(None),
    )
    if evidence_ids is not None:
        query = query.where(item.c.evidence_id.in_(evidence_ids))
    dated = []
    for taken, review, waiting in conn.execute(query):
        moment = _camera_time(taken)
        if moment is not None:
            dated.append((moment, "unknown" if waiting else _settled(review)))
    return _bins(dated)


def _camera_time(taken: str) -> datetime | None:
    # The camera's wall clock, binned as written (any recorded offset is left aside).
    try:
        moment = datetime.fromisoformat(taken[:19]).replace(tzinfo=UTC)
    except ValueError:
        return None
    return moment if _plausible(moment.timestamp()) else None


def _bins(dated: list[tuple[datetime, str]]) -> list[TimelineBin]:
    """Counts per period from the first date to the last, by review state."""
    if not dated:
        return []
    first = min(d for d, _ in dated)
    last = max(d for d, _ in dated)
    by_year = (last.year - first.year) * 12 + (last.month - first.month) >= MONTHS_MAX
    counts: Counter[tuple[str, str]] = Counter()
    for moment, review in dated:
        period = f"{moment.year:04d}" if by_year else f"{moment.year:04d}-{moment.month:02d}"
        kind = review if review in ("hit", "unknown") else "other"
        counts[(period, kind)] += 1
    periods = _periods(first, last, by_year)
    return [
        TimelineBin(p, counts[(p, "hit")], counts[(p, "unknown")], counts[(p, "other")])
        for p in periods
    ]


def _settled(review: str) -> str:
    # Unknown but not awaiting: graded in review as uncategorised, so no longer "unknown".
    return "other" if review == "unknown" else review


def _periods(first: datetime, last: datetime, by_year: bool) -> list[str]:
    """Every period from first to last, empty ones too, so gaps show as gaps."""
    if by_year:
        return [f"{y:04d}" for y in range(first.year, last.year + 1)]
    out = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def _plausible(mtime: float) -> bool:
    # Zeroed or wild timestamps (1970, year 2200) would stretch the axis to nothing.
    return 315532800.0 <= mtime <= 7258118400.0  # 1980-01-01 .. 2200-01-01
