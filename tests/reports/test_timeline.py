"""File-date timeline: months or years, empty periods kept, implausible dates left out."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import sqlalchemy as sa

from vigil.cases.case import get_or_create_case
from vigil.cases.runs import create_run
from vigil.reports.charts import category_bars, timeline_bars
from vigil.reports.model import TimelineBin
from vigil.reports.timeline import taken_timeline, timeline
from vigil.store.engine import Store
from vigil.store.schema import evidence, item


def _items(store: Store, dated: list[tuple[str | None, str, str]]) -> int:
    """Items (ISO date or None, family, review) in one run; returns the run id."""
    with store.begin() as conn:
        case_id = get_or_create_case(conn, "t", "uk", "tester")
        run_id, _ = create_run(conn, case_id, [], "tester", {}, {}, [], {})
        ev = conn.execute(
            evidence.insert().values(
                run_id=run_id, ordinal=1, path="/x", path_bytes=b"/x", kind="folder"
            )
        ).inserted_primary_key[0]
        for n, (when, family, review) in enumerate(dated):
            mtime = datetime.fromisoformat(when).replace(tzinfo=UTC).timestamp() if when else None
            conn.execute(
                item.insert().values(
                    run_id=run_id, evidence_id=ev, locator=f"[{n}]", display=f"f{n}",
                    name=f"f{n}", depth=0, kind="file", status="ok", mtime=mtime,
                    family=family, location="live", review=review,
                )
            )  # fmt: skip
    return run_id


def test_months_with_gaps_and_review_split(store: Store) -> None:
    run_id = _items(
        store,
        [
            ("2024-01-15", "image", "hit"),
            ("2024-01-20", "video", "unknown"),
            ("2024-03-01", "image", "known"),
            ("2024-03-02", "document", "none"),  # not media: not on the timeline
            (None, "image", "unknown"),  # no date
            ("1970-01-01", "image", "hit"),  # zeroed clock
        ],
    )
    with store.connect() as conn:
        bins = timeline(conn, [run_id])
    assert bins == [
        TimelineBin("2024-01", 1, 1, 0),
        TimelineBin("2024-02", 0, 0, 0),
        TimelineBin("2024-03", 0, 0, 1),
    ]


def test_years_when_the_span_is_long(store: Store) -> None:
    run_id = _items(store, [("2015-06-01", "image", "hit"), ("2021-02-01", "image", "unknown")])
    with store.connect() as conn:
        bins = timeline(conn, [run_id])
    assert [b.period for b in bins] == [str(y) for y in range(2015, 2022)]
    assert (bins[0].hits, bins[-1].unknown) == (1, 1)
    with store.connect() as conn:
        assert timeline(conn, []) == []
        assert conn.execute(sa.select(sa.func.count()).select_from(item)).scalar_one() == 2


def test_charts_escape_labels_and_scale_bars() -> None:
    svg = str(category_bars([("A <x>", 4), ("B", 2), ("C", 0)], "t & t"))
    assert "A &lt;x&gt;" in svg and "t &amp; t" in svg
    widths = [float(w) for w in re.findall(r'<rect [^>]*width="([\d.]+)"', svg)]
    assert widths == [340, 170, 0]
    line = str(timeline_bars([TimelineBin("2024-01", 1, 2, 3)], "files"))
    assert line.count("<rect") == 3 + 3  # three stacked parts and three legend keys
    assert "2024-01: 2 unknown" in line


def test_taken_dates_bin_beside_file_dates(store: Store) -> None:
    run_id = _items(store, [("2025-06-01", "image", "hit"), ("2025-06-02", "image", "unknown")])
    with store.begin() as conn:
        ids = conn.execute(sa.select(item.c.id).order_by(item.c.id)).scalars().all()
        conn.execute(
            item.update().where(item.c.id == ids[0]).values(exif_taken="2019-02-03T10:00:00")
        )
        conn.execute(
            item.update().where(item.c.id == ids[1]).values(exif_taken="2019-04-01T08:00:00+02:00")
        )
    with store.connect() as conn:
        taken = taken_timeline(conn, [run_id])
        modified = timeline(conn, [run_id])
    assert taken == [
        TimelineBin("2019-02", 1, 0, 0),
        TimelineBin("2019-03", 0, 0, 0),
        TimelineBin("2019-04", 0, 1, 0),
    ]
    assert modified == [TimelineBin("2025-06", 1, 1, 0)]
