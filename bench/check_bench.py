"""``vigil check``: how soon listed pictures are found, likely places first vs directory order.

A tree of small files (50,000 by default) laid out like a phone's shared storage
and a user's computer, with a few listed pictures placed in likely places (camera
roll, WhatsApp and Telegram media, Downloads) and in unlikely ones (deep app
caches, a backup folder, a system folder). Two checks of the same tree, with the
same pipeline, workers and store:

* **ranked**: ``vigil check`` as shipped (``check/places.yaml``);
* **plain walk** (the baseline): the same check, walking in directory order
  (``sources.folder.walk``, the order ``vigil scan`` uses).

Each runs for 15 budget units. A unit stands for one minute of a real check,
scaled down to ``--unit-s`` seconds (default 4) so the bench takes a few minutes.
It prints the time to the first hit and the share of listed pictures found within
1, 5 and 15 units, and, for short checks of 1 and 5 units, how far past its budget
each check ended (overrun %, the contract being under 5 %).

    python bench/check_bench.py [--files 50000] [--unit-s 4] [--workers N]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from vigil.check import CheckOptions, run_check
from vigil.check import run as check_run
from vigil.demo.imagegen import encode, make_picture
from vigil.hashsets import library
from vigil.scan import pipeline
from vigil.scan.records import ItemRecord, Task
from vigil.sources.folder import FsEntry, walk
from vigil.store.engine import open_store

WORK = Path(__file__).resolve().parent / "work" / "check"

LIKELY = [
    "sdcard/DCIM/Camera",
    "sdcard/WhatsApp/Media/WhatsApp Images/Sent",
    "sdcard/Telegram/Telegram Images",
    "Users/sam/Downloads",
]
UNLIKELY = [
    "sdcard/Android/data/com.game.app/files/cache/x9/a",
    "Users/sam/AppData/Roaming/SomeApp/blobs/03/7f",
    "backup/2019/old/misc/q",
    "Windows/Temp/x/y",
]
BULK = [
    "sdcard/Android/data/com.game.app/files/cache",
    "sdcard/Android/data/com.maps.app/tiles",
    "Users/sam/AppData/Roaming/SomeApp/blobs",
    "Users/sam/AppData/Local/Packages/app/LocalState",
    "backup/2019/old",
    "Windows/System32/drivers",
    "Windows/WinSxS",
    "Program Files/Tool/res",
    "sdcard/DCIM/Camera",
    "Users/sam/Downloads",
    "sdcard/WhatsApp/Media/WhatsApp Images",
]
"""Folders the filler goes into; the likely ones get a share too (a camera roll is not empty)."""


def build(root: Path, files: int) -> tuple[Path, list[Path]]:
    """The tree and the hash-set file listing its pictures (reused when already built)."""
    marker = root / ".built"
    listed = root.parent / "listed.csv"
    pictures = [root / folder / f"IMG_{i:02d}.jpg" for i, folder in enumerate(LIKELY + UNLIKELY)]
    if marker.exists() and marker.read_text() == str(files):
        return listed, pictures
    shutil.rmtree(root, ignore_errors=True)
    likely_bulk = {
        "sdcard/DCIM/Camera",
        "Users/sam/Downloads",
        "sdcard/WhatsApp/Media/WhatsApp Images",
    }
    for index in range(files - len(pictures)):
        base = BULK[index % len(BULK)]
        if base in likely_bulk and index % 10:
            base = BULK[index % 8]  # likely folders hold about 1 file in 30, not 3 in 11
        folder = root / base / f"d{index % 97:02d}" / f"e{index % 13}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"f{index:06d}.dat").write_bytes(b"filler %d " % index * 8)
    rows = []
    for index, path in enumerate(pictures):
        path.parent.mkdir(parents=True, exist_ok=True)
        data = encode(make_picture(100 + index, (64, 48)))
        path.write_bytes(data)
        rows.append(f"{hashlib.md5(data).hexdigest()},A\n")
    listed.write_text("md5,category\n" + "".join(rows))
    marker.write_text(str(files))
    return listed, pictures


class PlainWalk:
    """The baseline's order: ``walk()`` as ``vigil scan`` uses it, with RankedWalk's counts."""

    def __init__(self, root: bytes, rank: Any, file_rank: Any = None, **_: Any) -> None:
        self.root = root
        self.pending_dirs: list[bytes] = []
        self.pending_files: list[FsEntry] = []

    def __iter__(self) -> Iterator[FsEntry]:
        return walk(self.root, probe_files=False)


def one_check(
    tree: Path, listed: Path, pictures: list[Path], minutes: float, unit_s: float, workers: int
) -> dict[str, Any]:
    """One check in a fresh store: hit times (s after the start), elapsed, overrun."""
    home = WORK / "home"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    os.environ["VIGIL_HOME"] = str(home)
    store = open_store(f"sqlite:///{home / 'vigil.db'}")
    library.import_file(store, listed, "listed")
    wanted = {os.fsencode(p.resolve()) for p in pictures}
    hits: list[float] = []
    started = [0.0]
    real_finish = pipeline.Runner._finish

    def finish(self: pipeline.Runner, task: Task, records: list[ItemRecord]) -> None:
        if task.path in wanted:
            hits.append(time.monotonic() - started[0])
        real_finish(self, task, records)

    pipeline.Runner._finish = finish  # type: ignore[method-assign]
    try:
        options = CheckOptions(case="bench", minutes=minutes * unit_s / 60, workers=workers)
        started[0] = time.monotonic()
        result = run_check(store, [tree], options)
        elapsed = time.monotonic() - started[0]
    finally:
        pipeline.Runner._finish = real_finish  # type: ignore[method-assign]
        store.close()
    budget = options.budget_s
    return {
        "hits": sorted(hits),
        "known": result.known_items,
        "checked": result.files_checked,
        "total": result.files_total,
        "elapsed": elapsed,
        "overrun_pct": 100 * (elapsed - budget) / budget,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=50_000)
    parser.add_argument("--unit-s", type=float, default=4.0, help="seconds per budget unit")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    tree = WORK / "tree"
    listed, pictures = build(tree, args.files)
    print(
        f"{args.files:,} files, {len(pictures)} listed pictures "
        f"({len(LIKELY)} likely places, {len(UNLIKELY)} unlikely); "
        f"1 unit = {args.unit_s:g} s; {args.workers} workers"
    )
    real_walk = check_run.RankedWalk
    rows = {}
    for name, walker in (("ranked (vigil check)", real_walk), ("plain walk (baseline)", PlainWalk)):
        check_run.RankedWalk = walker  # type: ignore[misc, assignment]
        try:
            rows[name] = one_check(tree, listed, pictures, 15, args.unit_s, args.workers)
        finally:
            check_run.RankedWalk = real_walk  # type: ignore[misc]
    print(
        f"\n{'order':<24}{'first hit':>12}{'≤1 unit':>10}{'≤5 units':>10}{'≤15 units':>11}"
        f"{'files checked':>16}"
    )
    for name, row in rows.items():
        first = f"{row['hits'][0] / args.unit_s:.2f} u" if row["hits"] else "none"
        shares = [sum(t <= k * args.unit_s for t in row["hits"]) for k in (1, 5, 15)]
        cells = "".join(f"{f'{n}/{len(pictures)}':>10}" for n in shares[:2])
        print(
            f"{name:<24}{first:>12}{cells}{f'{shares[2]}/{len(pictures)}':>11}"
            f"{row['checked']:>9,} of {row['total']:,}"
        )
    ranked, plain = rows["ranked (vigil check)"], rows["plain walk (baseline)"]
    if ranked["hits"] and plain["hits"]:
        print(f"first hit: plain walk / ranked = {plain['hits'][0] / ranked['hits'][0]:.1f}×")
    print("\nbudget kept (ranked):")
    for units in (1, 5):
        row = one_check(tree, listed, pictures, units, args.unit_s, args.workers)
        print(
            f"  {units:>2} unit(s) = {units * args.unit_s:g} s: "
            f"ended after {row['elapsed']:.2f} s, overrun {row['overrun_pct']:+.1f} %"
        )
    row = ranked
    print(
        f"  15 units = {15 * args.unit_s:g} s: ended after {row['elapsed']:.2f} s, "
        f"overrun {row['overrun_pct']:+.1f} %"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
