"""Benchmark: start-up of `vigil --version` and `vigil case list` (issue 20).

Each command is a fresh process, timed wall-clock from spawn to exit, against the
baseline of the same interpreter doing nothing (`python -c pass`) in the same run.
`vigil case list` runs against a store already at head (made once, untimed), so it
opens SQLite and reads the case table, as an examiner's first command of the day does.

Usage: python bench/startup_bench.py [--times 15]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"
TARGET_S = 0.3


def timed(argv: list[str], env: dict[str, str], times: int) -> tuple[float, float]:
    """Median and worst wall-clock seconds of ``times`` runs of ``argv``."""
    spent = []
    for _ in range(times):
        start = time.perf_counter()
        subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL)
        spent.append(time.perf_counter() - start)
    return statistics.median(spent), max(spent)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--times", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "VIGIL_HOME": home, "PYTHONPATH": str(SRC)}
        env.pop("VIGIL_DATABASE_URL", None)
        vigil = [sys.executable, "-m", "vigil"]
        subprocess.run([*vigil, "case", "list"], env=env, check=True, stdout=subprocess.DEVNULL)
        rows = [
            ("python -c pass (baseline)", [sys.executable, "-c", "pass"]),
            ("vigil --version", [*vigil, "--version"]),
            ("vigil case list", [*vigil, "case", "list"]),
        ]
        results = [(label, *timed(argv, env, args.times)) for label, argv in rows]
    base = results[0][1]
    print(f"{'command':28} {'median s':>9} {'worst s':>8} {'× baseline':>11}  target")
    for label, median, worst in results:
        verdict = (
            ""
            if label.startswith("python")
            else ("ok" if median <= TARGET_S else f"over {TARGET_S} s")
        )
        print(f"{label:28} {median:9.3f} {worst:8.3f} {median / base:11.1f}  {verdict}")


if __name__ == "__main__":
    main()
