"""Benchmark: import a 10-million-row MD5/SHA-1 list, then exact lookups.

Measured in one run, each in its own process (peak RSS is per process):
  * vigil     — `vigil hashset import` into SQLite, then `lookup()` latency;
  * baseline  — the sqlite3 shell's `.import` of the same CSV plus the same
                indexes (the floor for an SQLite-backed library);
  * dict      — a Python dict built in memory, MD5 digest bytes → SHA-1 digest
                bytes (what a competent quick script would do: 16- and
                20-byte keys and values, not hex strings), its load time,
                memory and lookup latency. It keeps nothing on disk, has no
                set names, versions or categories, and must be rebuilt on
                every run.

Usage: python bench/hashset_import.py [--rows 10000000] [--lookups 2000]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def make_csv(path: Path, rows: int) -> None:
    """Write ``rows`` lines of md5,sha1 for the numbers 0..rows-1."""
    if path.exists() and path.stat().st_size > 0:
        with path.open() as handle:
            if sum(1 for _ in handle) == rows + 1:
                return
    with path.open("w") as out:
        out.write("md5,sha1\n")
        for start in range(0, rows, 100_000):
            lines = []
            for i in range(start, min(rows, start + 100_000)):
                data = str(i).encode()
                lines.append(f"{hashlib.md5(data).hexdigest()},{hashlib.sha1(data).hexdigest()}\n")
            out.write("".join(lines))


LOOKUP_SCRIPT = r"""
import json, os, statistics, sys, time, hashlib
from vigil.store.engine import open_store
from vigil.hashsets.lookup import lookup
rows, n = int(sys.argv[1]), int(sys.argv[2])
store = open_store()
present = [hashlib.md5(str(i * 7919 % rows).encode()).hexdigest() for i in range(n)]
absent = [hashlib.md5(f"absent-{i}".encode()).hexdigest() for i in range(n)]
lat = {}
for name, queries in (("present", present), ("absent", absent)):
    times = []
    for q in queries:
        t = time.perf_counter(); r = lookup(store, [q]); times.append(time.perf_counter() - t)
        assert bool(r[0].hits) == (name == "present"), q
    times.sort()
    p99 = times[int(len(times) * .99)]
    lat[name] = {"median_ms": statistics.median(times) * 1e3, "p99_ms": p99 * 1e3}
print(json.dumps(lat))
"""

DICT_SCRIPT = r"""
import json, statistics, sys, time, hashlib
path, rows, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
t = time.perf_counter()
known = {}
with open(path) as f:
    next(f)
    for line in f:
        md5, sha1 = line.rstrip("\n").split(",")
        known[bytes.fromhex(md5)] = bytes.fromhex(sha1)
load = time.perf_counter() - t
present = [hashlib.md5(str(i * 7919 % rows).encode()).digest() for i in range(n)]
times = []
for q in present:
    t = time.perf_counter(); hit = q in known; times.append(time.perf_counter() - t)
    assert hit
times.sort()
print(json.dumps({"load_s": load, "median_ms": statistics.median(times) * 1e3,
                  "p99_ms": times[int(len(times) * .99)] * 1e3}))
"""


def peak_rss_of(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, int, str]:
    """Run argv under /usr/bin/time-like accounting using wait4 for an exact per-child peak."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    out = proc.stdout.read()
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 3):
        raise SystemExit(f"{argv[:3]} failed ({code}): {err.decode()[-2000:]}")
    return elapsed, usage.ru_maxrss * 1024, out.decode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--lookups", type=int, default=2000)
    parser.add_argument("--workdir", type=Path, default=HERE / "work")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    csv_path = args.workdir / f"md5sha1-{args.rows}.csv"
    t = time.perf_counter()
    make_csv(csv_path, args.rows)
    print(
        f"fixture: {csv_path} ({csv_path.stat().st_size / 1e6:,.0f} MB, "
        f"{time.perf_counter() - t:.0f} s)"
    )

    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        env = dict(os.environ, VIGIL_HOME=tmp, VIGIL_USER="bench")
        env.pop("VIGIL_DATABASE_URL", None)
        vigil = [sys.executable, "-m", "vigil"]
        imp_s, imp_rss, _ = peak_rss_of(
            [*vigil, "hashset", "import", str(csv_path), "--name", "big"], env
        )
        again_s, _, _ = peak_rss_of(
            [*vigil, "hashset", "import", str(csv_path), "--name", "big"], env
        )
        _, look_rss, out = peak_rss_of(
            [sys.executable, "-c", LOOKUP_SCRIPT, str(args.rows), str(args.lookups)], env
        )
        lat = json.loads(out)
        db_bytes = sum(p.stat().st_size for p in Path(tmp).glob("vigil.db*"))
        results["vigil"] = {
            "import_s": imp_s,
            "reimport_unchanged_s": again_s,
            "import_peak_rss_mb": imp_rss / 2**20,
            "db_mb": db_bytes / 2**20,
            "lookup_present_median_ms": lat["present"]["median_ms"],
            "lookup_present_p99_ms": lat["present"]["p99_ms"],
            "lookup_absent_median_ms": lat["absent"]["median_ms"],
            "lookup_absent_p99_ms": lat["absent"]["p99_ms"],
            "lookup_peak_rss_mb": look_rss / 2**20,
        }
    sqlite = shutil.which("sqlite3")
    if sqlite:
        with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
            db = Path(tmp) / "base.db"
            script = (
                "PRAGMA journal_mode=WAL;\nCREATE TABLE h(md5 TEXT, sha1 TEXT);\n"
                f".import --csv --skip 1 {csv_path} h\n"
                "CREATE INDEX ix1 ON h(md5);\nCREATE INDEX ix2 ON h(sha1);\n"
            )
            start = time.perf_counter()
            subprocess.run(
                [sqlite, str(db)], input=script, text=True, check=True, capture_output=True
            )
            results["sqlite3 .import"] = {"import_s": time.perf_counter() - start}
    _, dict_rss, out = peak_rss_of(
        [sys.executable, "-c", DICT_SCRIPT, str(csv_path), str(args.rows), str(args.lookups)]
    )
    by_bytes = json.loads(out)
    results["dict of digest bytes"] = {
        "import_s": by_bytes["load_s"],
        "import_peak_rss_mb": dict_rss / 2**20,
        "lookup_present_median_ms": by_bytes["median_ms"],
        "lookup_present_p99_ms": by_bytes["p99_ms"],
    }
    print(json.dumps(results, indent=2))
    v = results["vigil"]
    print(f"\n| {args.rows:,} rows | import s | peak RSS MB | lookup median ms | lookup p99 ms |")
    print("|---|---|---|---|---|")
    for name, r in results.items():
        print(
            f"| {name} | {r['import_s']:.1f} | {r.get('import_peak_rss_mb', float('nan')):.0f} "
            f"| {r.get('lookup_present_median_ms', float('nan')):.3f} "
            f"| {r.get('lookup_present_p99_ms', float('nan')):.3f} |"
        )
    if "sqlite3 .import" in results:
        ratio = v["import_s"] / results["sqlite3 .import"]["import_s"]
        print(f"\nvigil import time / sqlite3 .import time = {ratio:.2f}")
    rss_ratio = v["import_peak_rss_mb"] / results["dict of digest bytes"]["import_peak_rss_mb"]
    print(f"vigil peak RSS / dict peak RSS = {rss_ratio:.2f}")


if __name__ == "__main__":
    main()
