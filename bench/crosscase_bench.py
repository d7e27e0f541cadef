"""Cross-case queries at scale: links of a case, the link graph, trends (issue 19).

Writes CASES synthetic cases of ITEMS media items each (random MD5s, a share
repeated across cases, PDQs random) straight into the summary tables' inputs
and refreshes each case as a finished scan does, then times the queries a
request makes. Baseline in the same run: the same link count done the naive
way, a self-join over the ``item`` table. Usage:
``python bench/crosscase_bench.py [--cases 60] [--items 2000] [--db URL]``.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).parents[1] / "tests" / "crosscase"))
from crosscase_builders import CaseSpec, Media, add_case

from vigil.crosscase.links import case_links, link_graph
from vigil.crosscase.privacy import min_cases
from vigil.crosscase.trends import trends
from vigil.store.engine import open_store
from vigil.store.schema import item, scan_run


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=60)
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--db")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(args.db or f"sqlite:///{tmp}/bench.db")
        rng = random.Random(19)
        shared = [rng.randbytes(16) for _ in range(args.items)]
        t0 = datetime(2026, 1, 1, tzinfo=UTC)
        refresh_s = []
        for n in range(args.cases):
            media = []
            for _ in range(args.items):
                md5 = rng.choice(shared) if rng.random() < 0.1 else rng.randbytes(16)
                media.append(
                    Media(md5, rng.randbytes(32), category="A" if rng.random() < 0.3 else None)
                )
            start = time.perf_counter()
            add_case(store, CaseSpec(f"case-{n}", media, when=t0 + timedelta(days=3 * n)))
            refresh_s.append(time.perf_counter() - start)
        with store.connect() as conn:
            timed = {}
            start = time.perf_counter()
            case_links(conn, args.cases // 2)
            timed["links of one case"] = time.perf_counter() - start
            start = time.perf_counter()
            link_graph(conn)
            timed["link graph"] = time.perf_counter() - start
            start = time.perf_counter()
            trends(conn, min_cases(conn), by="month")
            timed["trends by month"] = time.perf_counter() - start
            other = item.alias("other")
            run_a, run_b = scan_run.alias("ra"), scan_run.alias("rb")
            naive = (
                select(run_b.c.case_id, func.count(func.distinct(other.c.md5)))
                .select_from(item)
                .join(run_a, run_a.c.id == item.c.run_id)
                .join(other, other.c.md5 == item.c.md5)
                .join(run_b, run_b.c.id == other.c.run_id)
                .where(run_a.c.case_id == args.cases // 2, run_b.c.case_id != run_a.c.case_id)
                .group_by(run_b.c.case_id)
            )
            start = time.perf_counter()
            conn.execute(naive).all()
            timed["baseline: exact links by item self-join"] = time.perf_counter() - start
        store.close()
    total = args.cases * args.items
    print(f"{store.dialect}: {args.cases} cases x {args.items} items = {total:,} items")
    print(
        f"refresh per case (scan end): mean {sum(refresh_s) / len(refresh_s):.3f} s, "
        f"last {refresh_s[-1]:.3f} s"
    )
    base = timed["baseline: exact links by item self-join"]
    for name, secs in timed.items():
        print(f"{name}: {secs * 1000:.1f} ms ({secs / base:.3f}x baseline)")


if __name__ == "__main__":
    main()
