"""Benchmark: the scanning process's peak memory stays flat as the tree grows.

Scans trees of N small files (N = 20k, then 5× and 25× that by default) and
prints each run's peak RSS of the main process, and
the items/s. Flat memory means the largest tree's peak is close to the smallest's.

Usage: python bench/scan_memory.py [--sizes 20000,100000,500000]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORK = HERE / "work"


def make_tree(root: Path, files: int) -> None:
    """``files`` small distinct files, 1000 per folder."""
    marker = root / ".complete"
    if marker.exists():
        return
    for i in range(files):
        folder = root / f"d{i // 1000:04d}"
        if i % 1000 == 0:
            folder.mkdir(parents=True, exist_ok=True)
        (folder / f"f{i % 1000:03d}.txt").write_bytes(b"file %d\n" % i)
    marker.write_bytes(b"")


def scan(root: Path) -> tuple[float, int]:
    """Seconds and peak RSS (bytes) of the main scanning process."""
    with tempfile.TemporaryDirectory(dir=WORK) as home:
        env = dict(os.environ, VIGIL_HOME=home)
        env.pop("VIGIL_DATABASE_URL", None)
        start = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "vigil", "scan", str(root), "--case", "mem"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        assert proc.stderr is not None
        err = proc.stderr.read()
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(err.decode()[-1500:])
    # wait4's ru_maxrss is the main process alone: walk, queue, matcher and writer.
    return elapsed, usage.ru_maxrss * 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="20000,100000,500000")
    args = parser.parse_args()
    print("| files | seconds | items/s | main peak RSS MB |")
    print("|---|---|---|---|")
    peaks = []
    for size in [int(s) for s in args.sizes.split(",")]:
        root = WORK / f"tree-{size}"
        make_tree(root, size)
        seconds, main_rss = scan(root)
        peaks.append(main_rss)
        print(f"| {size:,} | {seconds:.1f} | {size / seconds:,.0f} | {main_rss / 2**20:.0f} |")
    print(f"\nlargest/smallest tree peak RSS ratio: {peaks[-1] / peaks[0]:.2f}")


if __name__ == "__main__":
    main()
