"""Benchmark: exact digest lookup (``ExactIndex``) against a Python dict, in one run.

The bank is ``--entries`` random digests (1% of them repeated under a second
id, as hash sets do); the queries are half bank digests, half strangers. Each
contender runs in its own process so that its peak RSS is its own:

* ``build``: ``ExactIndex.build`` (time, peak RSS, size on disk);
* ``lookup``: ``ExactIndex.open`` (memory-mapped) then lookups — one batch of
  all queries (throughput), and latency (median, p99) of single-digest and
  1,000-digest calls, the way a scan asks;
* ``dict``: the baseline a developer would write first, ``{digest bytes: [ids]}``
  (skipped above 20M entries: it would need ~3 GB per 20M).

Every contender's answers are checked against the planted truth.

Usage: python bench/exact_index_bench.py [--entries 10000000] [--algorithm md5]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from _memory import peak_rss_mb
from vigil.matching import ExactIndex
from vigil.matching.exact_index import DIGEST_BYTES

HERE = Path(__file__).resolve().parent
DICT_LIMIT = 20_000_000


def main() -> None:
    """Make the data, run each contender in its own process, print a markdown table."""
    args = _parser().parse_args()
    work = Path(args.workdir)
    if args.child:
        print(json.dumps(CHILDREN[args.child](work, args)))
        return
    _make_data(work, args)
    report: dict[str, Any] = {"params": vars(args)}
    for step in ("build", "lookup", "dict"):
        if step == "dict" and args.entries > DICT_LIMIT:
            continue
        print(f"… {step}", file=sys.stderr, flush=True)
        report[step] = _run_child(step, args)
    (work / "report.json").write_text(json.dumps(report, indent=1), encoding="utf-8")
    print(_table(report, args))


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--entries", type=int, default=10_000_000)
    p.add_argument("--algorithm", choices=sorted(DIGEST_BYTES), default="md5")
    p.add_argument("--queries", type=int, default=1_000_000, help="digests in the batch lookup")
    p.add_argument("--calls", type=int, default=2_000, help="timed calls per latency figure")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--workdir", default=str(HERE / "work" / "exact-index"))
    p.add_argument("--child", choices=sorted(CHILDREN), help=argparse.SUPPRESS)
    return p


def _make_data(work: Path, args: argparse.Namespace) -> None:
    params = {"entries": args.entries, "algorithm": args.algorithm, "seed": args.seed}
    params["queries"] = args.queries
    stamp = work / "data.json"
    if stamp.exists() and json.loads(stamp.read_text(encoding="utf-8")) == params:
        return
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    rng = np.random.default_rng(args.seed)
    size = DIGEST_BYTES[args.algorithm]
    repeats = args.entries // 100
    digests = rng.integers(0, 256, (args.entries - repeats, size), dtype=np.uint8)
    digests = np.concatenate([digests, digests[rng.integers(0, len(digests), repeats)]])
    ids = rng.permutation(args.entries).astype(np.int64)
    half = args.queries // 2
    known = rng.integers(0, len(digests), half)
    strangers = rng.integers(0, 256, (args.queries - half, size), dtype=np.uint8)
    np.save(work / "digests.npy", digests)
    np.save(work / "ids.npy", ids)
    np.save(work / "queries.npy", np.concatenate([digests[known], strangers]))
    np.save(work / "known.npy", known)
    stamp.write_text(json.dumps(params), encoding="utf-8")


def _latency(call: Any, batches: list[np.ndarray]) -> dict[str, float]:
    times = []
    for batch in batches:
        started = time.perf_counter()
        call(batch)
        times.append(time.perf_counter() - started)
    ms = np.array(times) * 1000
    return {"median_ms": float(np.median(ms)), "p99_ms": float(np.percentile(ms, 99))}


def _batches(
    queries: np.ndarray, size: int, count: int, rng: np.random.Generator
) -> list[np.ndarray]:
    starts = rng.integers(0, len(queries) - size, count)
    return [queries[s : s + size] for s in starts]


def _truth_ok(found_query: np.ndarray, found_id: np.ndarray, work: Path) -> bool:
    """Every known query found with its bank id; no stranger found."""
    ids = np.load(work / "ids.npy", mmap_mode="r")
    known = np.load(work / "known.npy")
    wanted = set(zip(range(len(known)), ids[known].tolist(), strict=True))
    got = set(zip(found_query.tolist(), found_id.tolist(), strict=True))
    return wanted <= got and int(found_query.max(initial=-1)) < len(known)


def _build(work: Path, args: argparse.Namespace) -> dict[str, Any]:
    digests = np.load(work / "digests.npy")
    ids = np.load(work / "ids.npy")
    target = work / "index"
    shutil.rmtree(target, ignore_errors=True)
    started = time.perf_counter()
    ExactIndex.build(target, args.algorithm, digests, ids)
    build_s = time.perf_counter() - started
    disk = sum(f.stat().st_size for f in target.rglob("*") if f.is_file())
    return {"build_s": build_s, "peak_rss_mb": peak_rss_mb(), "disk_mb": disk / 2**20}


def _lookup(work: Path, args: argparse.Namespace) -> dict[str, Any]:
    queries = np.load(work / "queries.npy")
    started = time.perf_counter()
    index = ExactIndex.open(work / "index", args.algorithm)
    open_s = time.perf_counter() - started
    started = time.perf_counter()
    found = index.lookup(queries)
    batch_s = time.perf_counter() - started
    rng = np.random.default_rng(2)
    return {
        "open_ms": open_s * 1000,
        "batch_per_s": len(queries) / batch_s,
        "single": _latency(index.lookup, _batches(queries, 1, args.calls, rng)),
        "batch_1000": _latency(index.lookup, _batches(queries, 1000, args.calls // 4, rng)),
        "correct": _truth_ok(found["query"], found["id"], work),
        "peak_rss_mb": peak_rss_mb(),
    }


def _dict(work: Path, args: argparse.Namespace) -> dict[str, Any]:
    digests = np.load(work / "digests.npy")
    ids = np.load(work / "ids.npy").tolist()
    queries = np.load(work / "queries.npy")
    started = time.perf_counter()
    table: dict[bytes, list[int]] = {}
    for digest, entry in zip(
        digests.view(f"V{digests.shape[1]}").reshape(-1).tolist(), ids, strict=True
    ):
        table.setdefault(digest, []).append(entry)
    build_s = time.perf_counter() - started
    del digests

    def lookup(batch: np.ndarray) -> tuple[list[int], list[int]]:
        qs, found = [], []
        for row, digest in enumerate(batch.view(f"V{batch.shape[1]}").reshape(-1).tolist()):
            for entry in table.get(digest, ()):
                qs.append(row)
                found.append(entry)
        return qs, found

    started = time.perf_counter()
    q, f = lookup(queries)
    batch_s = time.perf_counter() - started
    rng = np.random.default_rng(2)
    return {
        "build_s": build_s,
        "batch_per_s": len(queries) / batch_s,
        "single": _latency(lookup, _batches(queries, 1, args.calls, rng)),
        "batch_1000": _latency(lookup, _batches(queries, 1000, args.calls // 4, rng)),
        "correct": _truth_ok(np.array(q), np.array(f), work),
        "peak_rss_mb": peak_rss_mb(),
    }


CHILDREN = {"build": _build, "lookup": _lookup, "dict": _dict}


def _run_child(step: str, args: argparse.Namespace) -> dict[str, Any]:
    argv = [sys.executable, __file__, "--child", step, "--workdir", args.workdir]
    argv += ["--entries", str(args.entries), "--algorithm", args.algorithm]
    argv += ["--queries", str(args.queries), "--calls", str(args.calls)]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr else "failed"}
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _table(report: dict[str, Any], args: argparse.Namespace) -> str:
    build, look = report["build"], report["lookup"]
    rows = [
        f"{args.entries:,} {args.algorithm} entries; {args.queries:,} queries (half known)",
        "",
        "| contender | build s | peak RSS MB | batch lookups/s | 1 digest: median / p99 ms "
        "| 1,000 digests: median / p99 ms | correct |",
        "|---|---:|---:|---:|---:|---:|---|",
        _row("ExactIndex (mmap)", build["build_s"], look),
    ]
    if "dict" in report:
        rows.append(_row("Python dict", report["dict"]["build_s"], report["dict"]))
    rows.append("")
    rows.append(
        f"ExactIndex: build peak RSS {build['peak_rss_mb']:,.0f} MB, "
        f"on disk {build['disk_mb']:,.0f} MB, open {look['open_ms']:.1f} ms"
    )
    return "\n".join(rows)


def _row(name: str, build_s: float, run: dict[str, Any]) -> str:
    one, thousand = run["single"], run["batch_1000"]
    return (
        f"| {name} | {build_s:.1f} | {run['peak_rss_mb']:,.0f} | {run['batch_per_s']:,.0f} | "
        f"{one['median_ms']:.3f} / {one['p99_ms']:.3f} | "
        f"{thousand['median_ms']:.2f} / {thousand['p99_ms']:.2f} | {run['correct']} |"
    )


if __name__ == "__main__":
    main()
