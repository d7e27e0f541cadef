"""The case explorer at scale: one page of a 100,000-item case, filtered and sorted (issue 15).

Writes one case of ITEMS synthetic items (names, paths, sizes, times, a share
of hits and EXIF cameras) and times the page queries the explorer makes, each
the median of REPEAT runs. Baseline in the same run: what a plain
implementation does, reading every item of the case and filtering, sorting and
slicing in Python. Target: a page within 300 ms on SQLite and PostgreSQL.
Usage: ``python bench/explorer_bench.py [--items 100000] [--db URL]``.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).parents[1] / "tests" / "crosscase"))
from crosscase_builders import CaseSpec, Media, add_case

from vigil.cases.explorer import Explorer, ItemFilter
from vigil.cases.runs import counted_evidence
from vigil.store.engine import Store, open_store
from vigil.store.schema import item

REPEAT = 5
QUERIES = {
    "first page, by path": ItemFilter(),
    "page 1000 of 2000, by path": ItemFilter(page=1000),
    "by size, descending": ItemFilter(sort="size", descending=True),
    "name contains 'img_12'": ItemFilter(text="img_12"),
    "camera contains 'pixel'": ItemFilter(camera="pixel"),
    "deleted only, by modified": ItemFilter(location="deleted", sort="modified"),
    "hits only": ItemFilter(review="hit"),
}


def _fill(store: Store, count: int) -> int:
    case_id = add_case(store, CaseSpec("bench-explore", [Media(b"\0" * 16)]), refresh=False)
    with store.begin() as conn:
        template = conn.execute(select(item)).mappings().one()
        rng = random.Random(15)
        rows = []
        for n in range(count):
            row = dict(template)
            del row["id"]
            folder = f"/evidence/Users/u{n % 40}/Pictures/{n % 997}"
            row.update(
                name=f"IMG_{n}.jpg",
                display=f"{folder}/IMG_{n}.jpg",
                locator=f'{{"n": {n + 1}}}',
                size=rng.randrange(10_000, 5_000_000),
                mtime=1.6e9 + rng.randrange(0, 10**8),
                md5=rng.randbytes(16),
                location=rng.choice(("live",) * 8 + ("archive", "deleted")),
                review="hit" if rng.random() < 0.02 else "unknown",
                camera_make="Google" if n % 3 == 0 else None,
                camera_model="Pixel 7" if n % 3 == 0 else None,
            )
            rows.append(row)
            if len(rows) == 5000:
                conn.execute(item.insert(), rows)
                rows = []
        if rows:
            conn.execute(item.insert(), rows)
    return case_id


def _plain(store: Store, case_id: int, wanted: ItemFilter) -> int:
    """The baseline: every item of the case read, then filtered, sorted and sliced here."""
    with store.connect() as conn:
        ids = list(counted_evidence(conn, case_id).values())
        rows = list(conn.execute(select(item).where(item.c.evidence_id.in_(ids))))
    text = wanted.text.lower()
    kept = [
        r
        for r in rows
        if (not text or text in r.display.lower())
        and (not wanted.location or r.location == wanted.location)
        and (not wanted.review or r.review == wanted.review)
        and (
            not wanted.camera
            or wanted.camera in f"{r.camera_make or ''} {r.camera_model or ''}".lower()
        )
    ]
    key = {"path": "display", "size": "size", "modified": "mtime"}[wanted.sort]
    kept.sort(
        key=lambda r: (getattr(r, key) is None, getattr(r, key) or 0), reverse=wanted.descending
    )
    start = (wanted.page - 1) * wanted.per_page
    return len(kept[start : start + wanted.per_page])


def _median_ms(run: Callable[[], object]) -> float:
    times = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--db")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(args.db or f"sqlite:///{tmp}/bench.db")
        start = time.perf_counter()
        case_id = _fill(store, args.items)
        took = time.perf_counter() - start
        print(f"{args.items:,} items written in {took:.1f} s ({store.dialect})")
        print(f"{'query':32} {'explorer ms':>12} {'plain ms':>10} {'ratio':>7}")
        for name, wanted in QUERIES.items():

            def page(w: ItemFilter = wanted) -> object:
                with store.connect() as conn:
                    return Explorer(conn, case_id).page(w)

            ours = _median_ms(page)
            plain = _median_ms(lambda w=wanted: _plain(store, case_id, w))
            print(f"{name:32} {ours:12.1f} {plain:10.1f} {plain / ours:6.1f}×")
        store.close()


if __name__ == "__main__":
    main()
