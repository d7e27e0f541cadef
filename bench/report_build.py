"""Benchmark: how long a case report takes as a case grows, against ``case show``'s summary.

Writes a synthetic case straight into a fresh SQLite store (two exhibits; a
tenth of the items hit a graded set, a third are unknown pictures, a few
hundred errors), then times the summary ``vigil case show`` prints (the
baseline), ``build_report`` and each output format. Ratios are against the
baseline in the same run. PDF only where Chromium is installed.

Usage: python bench/report_build.py [--items 20000,100000]
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from vigil.cases.case import get_or_create_case
from vigil.cases.counting import case_summary
from vigil.cases.revisions import current_result_id
from vigil.cases.runs import create_run
from vigil.reports import build_report
from vigil.reports.writer import render_report
from vigil.store.engine import Store, open_store
from vigil.store.schema import evidence, exhibit, hash_entry, hashset, item, match

HERE = Path(__file__).resolve().parent
WORK = HERE / "work"
CATEGORIES = ("A", "B", "C")


def fill(store: Store, items: int) -> None:
    """One case, two exhibits, ``items`` items (see the module doc)."""
    with store.begin() as conn:
        set_id = conn.execute(
            hashset.insert().values(
                name="bench", scheme="uk", known_good=False, created_at=datetime.now(UTC)
            )
        ).inserted_primary_key[0]
        case_id = get_or_create_case(conn, "BENCH", "uk", "bench")
        run_id, _ = create_run(conn, case_id, [], "bench", {"pdq_threshold": 31}, {}, [], {})
        exhibits = [
            conn.execute(
                evidence.insert().values(
                    run_id=run_id, ordinal=n, path=f"/ex{n}", path_bytes=b"/x", kind="folder",
                    exhibit_id=conn.execute(
                        exhibit.insert().values(
                            case_id=case_id, reference=f"Exhibit {n}", path=f"/ex{n}",
                            path_bytes=f"/ex{n}".encode(), kind="folder",
                            created_at=datetime.now(UTC), created_by="bench",
                        )
                    ).inserted_primary_key[0],
                )
            ).inserted_primary_key[0]
            for n in (1, 2)
        ]  # fmt: skip
        rows = []
        for i in range(items):
            md5 = hashlib.md5(str(i % (items // 2 or 1)).encode()).digest()  # half are copies
            review = "hit" if i % 10 == 0 else ("unknown" if i % 3 == 0 else "none")
            rows.append(
                {
                    "run_id": run_id, "evidence_id": exhibits[i % 2],
                    "locator": f'[{{"path":"/ex/{i}.jpg","type":"os"}}]',
                    "display": f"os:/ex/d{i // 1000}/{i}.jpg", "name": f"{i}.jpg", "depth": 0,
                    "kind": "file", "status": "error" if i % 250 == 0 else "ok",
                    "reason": "bench" if i % 250 == 0 else None, "size": 30000 + i,
                    "mtime": 1.6e9 + i * 3600.0, "file_type": "jpeg",
                    "family": "image" if review != "none" else "document",
                    "location": "archive" if i % 7 == 0 else "live",
                    "md5": md5, "sha1": hashlib.sha1(md5).digest(),
                    "sha256": hashlib.sha256(md5).digest(), "review": review,
                }
            )  # fmt: skip
        ids = [r[0] for r in conn.execute(item.insert().returning(item.c.id), rows)]
        hits = [(n, i) for n, i in enumerate(ids) if n % 10 == 0]
        entry_ids = conn.execute(
            hash_entry.insert().returning(hash_entry.c.id),
            [{"hashset_id": set_id, "md5": rows[n]["md5"], "category": "A"} for n, _ in hits],
        ).all()
        result_id = current_result_id(conn, run_id)
        conn.execute(
            match.insert(),
            [
                {
                    "item_id": item_id, "result_id": result_id, "hashset_id": set_id,
                    "hashset_name": "bench", "category_label": f"Category {CATEGORIES[n % 3]}",
                    "entry_id": entry[0], "algorithm": "md5" if n % 20 else "pdq",
                    "distance": 0 if n % 20 else 12, "category": CATEGORIES[n % 3],
                    "known_good": False, "best": True,
                }
                for (n, item_id), entry in zip(hits, entry_ids, strict=True)
            ],
        )  # fmt: skip


def timed(action: Callable[[], object]) -> tuple[float, object]:
    """Seconds one call takes, and what it returned."""
    start = time.perf_counter()
    value = action()
    return time.perf_counter() - start, value


def run(items: int) -> None:
    """Print one table for a case of ``items`` items."""
    WORK.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(dir=WORK) as tmp:
        store = open_store(f"sqlite:///{tmp}/vigil.db")
        try:
            fill(store, items)
            base, _ = timed(lambda: case_summary(store, "BENCH"))

            def build() -> object:
                with store.connect() as conn:
                    return build_report(conn, "BENCH")

            built, report = timed(build)
            print(f"\n{items:,} items ({items // 10:,} hits)")
            print(f"{'step':<24}{'seconds':>10}{'× summary':>12}{'bytes':>14}")
            print(f"{'case summary (baseline)':<24}{base:>10.3f}{1.0:>12.1f}{'':>14}")
            print(f"{'build_report':<24}{built:>10.3f}{built / base:>12.1f}{'':>14}")
            formats = ["html", "json", "csv", "vics"] + (
                ["pdf"] if shutil.which("chromium") else []
            )
            for fmt in formats:
                seconds, data = timed(lambda fmt=fmt: render_report(report, fmt))  # type: ignore[misc]
                size = len(data) if isinstance(data, bytes) else 0
                print(f"{'render ' + fmt:<24}{seconds:>10.3f}{seconds / base:>12.1f}{size:>14,}")
        finally:
            store.close()


def main() -> int:
    """Parse the sizes and run each."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", default="20000,100000")
    args = parser.parse_args()
    for size in (int(s) for s in args.items.split(",")):
        run(size)
    return 0


if __name__ == "__main__":
    sys.exit(main())
