"""Trends across cases, per month or quarter, from the ``case_trend`` summaries.

Per period: cases scanned, collection sizes (median and 90th percentile of
media items per case), images vs videos, the category mix, where media was
stored, which indicator families were found, the share of new vs known media,
and days from seizure to the first report. Every cell passes
:func:`vigil.crosscase.privacy.cell`: made of fewer than k cases, it is
suppressed; a period of fewer than k cases is suppressed whole. Nothing here
carries a case name, a path or a hash.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import Connection, select

from vigil.crosscase.privacy import Cell, cell
from vigil.crosscase.refresh import utc
from vigil.errors import UsageError
from vigil.store.schema import case_trend

PERIODS = ("month", "quarter")
STORAGE = ("live", "archive", "deleted", "carved", "encrypted", "cloud")
"""Where media was stored: item locations, and containers the indicators found."""
INDICATORS: dict[str, tuple[str, ...]] = {
    "concealment": ("concealment", "steganography"),
    "wiping": ("wiping",),
    "encryption": ("encryption",),
    "p2p": ("p2p",),
    "messaging": ("messaging",),
    "downloading": ("download", "tor"),
}
"""Indicator families of the trends and the rule families each gathers."""


@dataclass(slots=True)
class Period:
    """One row of the trends: a month or quarter."""

    label: str
    cases: Cell
    figures: dict[str, Cell] = field(default_factory=dict)
    categories: dict[str, Cell] = field(default_factory=dict)
    storage: dict[str, Cell] = field(default_factory=dict)
    indicators: dict[str, Cell] = field(default_factory=dict)

    @property
    def suppressed(self) -> bool:
        """True when the whole period is made of fewer than k cases."""
        return self.cases.suppressed

    def as_json(self) -> dict[str, Any]:
        """The period for JSON export."""
        return {
            "period": self.label,
            "cases": self.cases.as_json(),
            "suppressed": self.suppressed,
            **{name: c.as_json() for name, c in self.figures.items()},
            "categories": {n: c.as_json() for n, c in self.categories.items()},
            "storage": {n: c.as_json() for n, c in self.storage.items()},
            "indicators": {n: c.as_json() for n, c in self.indicators.items()},
        }


@dataclass(slots=True)
class Trends:
    """Trends over a span of time, with the k every cell was held to."""

    by: str
    k: int
    start: date | None
    end: date | None
    periods: list[Period]

    def as_json(self) -> dict[str, Any]:
        """Everything, for ``--format json`` and the web API."""
        return {
            "by": self.by,
            "min_cases": self.k,
            "from": self.start.isoformat() if self.start else None,
            "to": self.end.isoformat() if self.end else None,
            "periods": [p.as_json() for p in self.periods],
        }

    def columns(self) -> list[str]:
        """Column names of the flat (table and CSV) form."""
        names: dict[str, None] = {"period": None, "cases": None}
        for p in self.periods:
            names.update(dict.fromkeys(p.figures))
            names.update(dict.fromkeys(f"category: {n}" for n in p.categories))
            names.update(dict.fromkeys(f"stored: {n}" for n in p.storage))
            names.update(dict.fromkeys(f"indicator: {n}" for n in p.indicators))
        return list(names)

    def rows(self) -> list[list[str]]:
        """One row of text cells per period, in :meth:`columns` order."""
        out = []
        for p in self.periods:
            cells: dict[str, Cell] = {"cases": p.cases, **p.figures}
            cells.update({f"category: {n}": c for n, c in p.categories.items()})
            cells.update({f"stored: {n}": c for n, c in p.storage.items()})
            cells.update({f"indicator: {n}": c for n, c in p.indicators.items()})
            row = [p.label]
            for name in self.columns()[1:]:
                got = cells.get(name)
                if got is None and p.suppressed:
                    row.append(f"suppressed (<{self.k} cases)")
                else:
                    row.append(got.text(self.k) if got is not None else "")
            out.append(row)
        return out


def period_of(when: datetime, by: str) -> str:
    """``2026-03`` (month) or ``2026-Q1`` (quarter)."""
    if by == "quarter":
        return f"{when.year}-Q{(when.month - 1) // 3 + 1}"
    return f"{when.year}-{when.month:02d}"


def trends(
    conn: Connection,
    k: int,
    start: date | None = None,
    end: date | None = None,
    by: str = "month",
) -> Trends:
    """Trends of the cases first scanned from ``start`` to ``end`` (inclusive), per ``by``."""
    if by not in PERIODS:
        raise UsageError(f"--by must be one of {', '.join(PERIODS)}")
    if start and end and start > end:
        raise UsageError("--from is after --to")
    query = select(case_trend.c.scanned_at, case_trend.c.figures)
    if start is not None:
        query = query.where(case_trend.c.scanned_at >= datetime.combine(start, time(), UTC))
    if end is not None:
        upto = datetime.combine(end, time.max, UTC)
        query = query.where(case_trend.c.scanned_at <= upto)
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for when, figures in conn.execute(query):
        groups[period_of(utc(when), by)].append(figures)
    periods = [_period(label, groups[label], k) for label in sorted(groups)]
    return Trends(by, k, start, end, periods)


def _period(label: str, cases: list[dict[str, Any]], k: int) -> Period:
    count = cell(len(cases), len(cases), k)
    period = Period(label, count)
    if count.suppressed:
        return period
    sizes = sorted(int(c.get("media", 0)) for c in cases)
    period.figures = {
        "media median": cell(_quantile(sizes, 0.5), len(sizes), k),
        "media p90": cell(_quantile(sizes, 0.9), len(sizes), k),
        "images": _total(cases, "images", k),
        "videos": _total(cases, "videos", k),
        "new share": _new_share(cases, k),
        "seizure to report days (median)": _to_report(cases, k),
    }
    labels = sorted({name for c in cases for name in c.get("categories", {})})
    period.categories = {
        name: _total([c.get("categories", {}) for c in cases], name, k) for name in labels
    }
    period.storage = {place: _cases_with(cases, place, k) for place in STORAGE}
    period.indicators = {
        name: _share(cases, lambda c, fs=families: bool(set(c.get("indicators", [])) & set(fs)), k)
        for name, families in INDICATORS.items()
    }
    return period


def _total(cases: list[dict[str, Any]], key: str, k: int) -> Cell:
    values = [int(c.get(key, 0) or 0) for c in cases]
    return cell(sum(values), sum(1 for v in values if v), k)


def _stored(figures: dict[str, Any], place: str) -> bool:
    if place == "encrypted":
        return "encryption" in figures.get("indicators", [])
    if place == "cloud":
        return "cloud" in figures.get("indicators", [])
    return bool(figures.get("storage", {}).get(place))


def _cases_with(cases: list[dict[str, Any]], place: str, k: int) -> Cell:
    return _share(cases, lambda c: _stored(c, place), k)


def _share(cases: list[dict[str, Any]], test: Any, k: int) -> Cell:
    """The share of the period's cases that pass ``test`` (suppressed if few do)."""
    hits = sum(1 for c in cases if test(c))
    return cell(round(hits / len(cases), 4), hits, k)


def _new_share(cases: list[dict[str, Any]], k: int) -> Cell:
    new = sum(int(c.get("new", 0)) for c in cases)
    known = sum(int(c.get("known", 0)) for c in cases)
    with_new = sum(1 for c in cases if c.get("new"))
    return cell(round(new / (new + known), 4) if new + known else None, with_new, k)


def _to_report(cases: list[dict[str, Any]], k: int) -> Cell:
    days = []
    for c in cases:
        if c.get("seized") and c.get("reported"):
            seized = date.fromisoformat(str(c["seized"])[:10])
            reported = datetime.fromisoformat(str(c["reported"])).date()
            days.append((reported - seized).days)
    return cell(_quantile(sorted(days), 0.5) if days else None, len(days), k)


def _quantile(values: list[int], q: float) -> float | None:
    """The ``q`` quantile of sorted ``values`` (linear between the two nearest)."""
    if not values:
        return None
    position = (len(values) - 1) * q
    low = int(position)
    high = min(low + 1, len(values) - 1)
    return float(values[low] + (values[high] - values[low]) * (position - low))
