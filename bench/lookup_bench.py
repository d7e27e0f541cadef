"""Benchmark: `vigil lookup` of 1,000 PDQ hashes as one batch vs FAISS MultiHash (issue 20).

In one run, on the same bank and the same 1,000 queries (threshold 31 bits):
  * vigil  — `vigil lookup --file queries.txt --json` as a fresh process: start-up,
             opening the store and the PDQ index, the search, reading the hit rows
             and printing them. Timed cold (first run after import) and warm (median
             of --times further runs);
  * faiss  — `faiss.IndexBinaryMultiHash(256, 16, 16)`, nflip 1 (exact at ≤ 31 bits),
             built from the same hashes (build not timed), `range_search` of the same
             queries only: no process start, no store, no rows, no output.
Both answers are compared (the number of (query, entry) pairs found must be equal).
The bank is made by `vigil.matching.synthetic` (clustered, PDQ-like) and imported
with `vigil hashset import` (untimed set-up).

Usage: python bench/lookup_bench.py [--bank 1000000] [--queries 1000] [--times 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

SRC = Path(__file__).resolve().parent.parent / "src"
sys.path.insert(0, str(SRC))

from vigil.matching import synthetic  # noqa: E402

THRESHOLD = 31


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bank", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--times", type=int, default=5)
    parser.add_argument("--seed", type=int, default=20)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    bank = synthetic.clustered_bank(args.bank, rng, synthetic.dct_bias(rng)).hashes
    # Half the queries are bank hashes a few bits off (hits), half are random (misses).
    near = bank[rng.integers(0, len(bank), args.queries // 2)]
    near = synthetic.flip_some(near, rng.integers(0, 12, len(near)), rng)
    queries = np.concatenate([near, synthetic.random_hashes(args.queries - len(near), rng)])
    with tempfile.TemporaryDirectory(prefix="vigil-lookup-bench-") as tmp:
        work = Path(tmp)
        env = {**os.environ, "VIGIL_HOME": str(work / "home"), "PYTHONPATH": str(SRC)}
        env.pop("VIGIL_DATABASE_URL", None)
        listing = work / "bank.csv"
        with listing.open("w", encoding="ascii") as out:
            out.write("pdq,category\n")
            out.writelines(f"{row.tobytes().hex()},A\n" for row in bank)
        qfile = work / "queries.txt"
        qfile.write_text("".join(f"pdq:{q.tobytes().hex()}\n" for q in queries), "ascii")
        vigil = [sys.executable, "-m", "vigil"]
        started = time.perf_counter()
        subprocess.run(
            [*vigil, "hashset", "import", str(listing), "--name", "bench"],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        import_s = time.perf_counter() - started
        lookup = [*vigil, "lookup", "--file", str(qfile), "--json"]

        def one() -> tuple[float, int]:
            started = time.perf_counter()
            done = subprocess.run(lookup, env=env, capture_output=True, text=True)
            spent = time.perf_counter() - started
            if done.returncode not in (0, 3):
                raise SystemExit(f"vigil lookup failed: {done.stderr.strip()}")
            return spent, sum(len(r["hits"]) for r in json.loads(done.stdout))

        cold_s, vigil_pairs = one()
        warm = [one()[0] for _ in range(args.times)]
    faiss_s, faiss_pairs = _faiss(bank, queries)
    warm_s = statistics.median(warm)
    print(f"bank {args.bank:,} PDQ hashes, {args.queries:,} queries, threshold {THRESHOLD}")
    print(f"set-up: vigil hashset import {import_s:.1f} s (not part of the comparison)")
    print(f"{'':34} {'seconds':>8} {'pairs':>7} {'÷ faiss':>8}")
    print(f"{'faiss MultiHash range_search':34} {faiss_s:8.3f} {faiss_pairs:7} {1.0:8.2f}")
    for label, spent in (("vigil lookup, cold (1st run)", cold_s), ("vigil lookup, warm", warm_s)):
        print(f"{label:34} {spent:8.3f} {vigil_pairs:7} {spent / faiss_s:8.2f}")
    if vigil_pairs != faiss_pairs:
        print("ANSWERS DIFFER: vigil and faiss found different numbers of pairs")


def _faiss(bank: np.ndarray, queries: np.ndarray) -> tuple[float, int]:
    import faiss  # benchmark-only peer

    index = faiss.IndexBinaryMultiHash(256, 16, 16)
    index.nflip = THRESHOLD // 16
    index.add(np.ascontiguousarray(bank))
    started = time.perf_counter()
    lims, _dist, _pos = index.range_search(np.ascontiguousarray(queries), THRESHOLD + 1)
    spent = time.perf_counter() - started
    return spent, int(lims[-1])


if __name__ == "__main__":
    main()
