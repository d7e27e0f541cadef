"""Benchmark: Vigil's PDQ index against FAISS MultiHash (Meta's matcher) and FAISS Flat.

All in one run, on one synthetic bank (``vigil.matching.synthetic``: PDQ-like
hashes with skewed low-frequency bits, Zipf-sized clusters of near-duplicates,
exact duplicates) plus rows planted at known distances from the queries:
matches at 0–31 bits, decoys at 32–40. Query pictures come as their 8 dihedral
variants; **one query = one 256-bit hash**, so a picture is 8 queries. 5% of the
pictures have a variant replaced by a bank hash a few bits off, so that some
queries land in (possibly big) clusters, as known material in a real exhibit does.

Every index runs in its own process, so that its peak RSS is its own:

* ``vigil-build``: ``PdqIndex.build`` into ``--workdir`` (time, peak RSS, size on disk);
* ``vigil-search``: ``PdqIndex.open`` + search of all queries (memory-mapped);
* ``multihash``: ``faiss.IndexBinaryMultiHash(256, 16, 16)``, ``nflip = 1``,
  ``range_search(radius=32)`` — Meta's HMA configuration, exact at ≤ 31 bits —
  on the first ``--multihash-queries`` queries (its rate is extrapolated: it
  would take hours on all of them on 2 cores);
* ``flat``: ``faiss.IndexBinaryFlat`` range search on the first ``--flat-queries``;
* ``oracle``: Vigil's ``BruteForcePdqIndex`` on the first ``--oracle-queries``;
* ``gpu`` (only where FAISS sees a CUDA device): ``GpuPdqIndex`` on all queries.

Each result is compared with the oracle on the oracle's queries (recall and
precision, and whether the arrays are identical); Vigil's full result is also
checked against every planted match and decoy.

Usage: python bench/pdq_index_bench.py [--bank 10000000] [--pictures 100000]
           [--multihash-queries 4000] [--flat-queries 2000] [--oracle-queries 800]
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from _memory import peak_rss_mb
from vigil.matching import MATCH_DTYPE, BruteForcePdqIndex, PdqIndex, synthetic

HERE = Path(__file__).resolve().parent
THRESHOLD = 31
CLUSTER_QUERY_SHARE = 0.05


def main() -> None:
    """Parse arguments, make the data, run each index in its own process, report."""
    args = _parser().parse_args()
    work = Path(args.workdir)
    if args.child:
        print(json.dumps(CHILDREN[args.child](work, args)))
        return
    _make_data(work, args)
    report: dict[str, Any] = {"params": vars(args)}
    steps = ["vigil-build", "vigil-search", "multihash", "flat", "oracle"]
    if not args.skip_gpu:
        steps.append("gpu")
    for step in steps:
        print(f"… {step}", file=sys.stderr, flush=True)
        report[step] = _run_child(step, args)
    report["checks"] = _checks(work, report)
    (work / "report.json").write_text(json.dumps(report, indent=1), encoding="utf-8")
    print(_table(report))


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--bank", type=int, default=10_000_000, help="hashes in the bank")
    p.add_argument("--pictures", type=int, default=100_000, help="query pictures (×8 queries)")
    p.add_argument("--multihash-queries", type=int, default=4_000)
    p.add_argument("--flat-queries", type=int, default=2_000)
    p.add_argument("--oracle-queries", type=int, default=800)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--workdir", default=str(HERE / "work" / "pdq-index"))
    p.add_argument("--skip-gpu", action="store_true")
    p.add_argument("--child", choices=sorted(CHILDREN), help=argparse.SUPPRESS)
    return p


# -- data ------------------------------------------------------------------------------


def _make_data(work: Path, args: argparse.Namespace) -> None:
    """Write the bank, the queries and the planted truth (reused when the parameters match)."""
    params = {"bank": args.bank, "pictures": args.pictures, "seed": args.seed, "v": 2}
    stamp = work / "data.json"
    if stamp.exists():
        made = json.loads(stamp.read_text(encoding="utf-8"))
        if all(made.get(key) == value for key, value in params.items()):
            return
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    started = time.perf_counter()
    rng = np.random.default_rng(args.seed)
    bias = synthetic.dct_bias(rng)
    queries = synthetic.planted_queries(args.pictures, rng, bias, first_id=10**12)
    bank = synthetic.clustered_bank(args.bank - len(queries.planted), rng, bias)
    hashes = np.concatenate([bank.hashes, queries.planted])
    ids = np.concatenate([bank.ids, queries.planted_ids])
    # Known material in the exhibit: some pictures' first variant is a bank hash, a few bits off.
    planted_pictures = np.zeros(args.pictures, dtype=bool)
    planted_pictures[queries.planted_query // 8] = True  # their variants stay as planted against
    pick = (rng.random(args.pictures) < CLUSTER_QUERY_SHARE) & ~planted_pictures
    chosen = np.flatnonzero(pick) * 8
    spread = rng.integers(0, 6, size=len(chosen))
    qs = queries.hashes.copy()
    source = bank.hashes[rng.integers(0, len(bank.hashes), len(chosen))]
    qs[chosen] = synthetic.flip_some(source, spread, rng)
    np.save(work / "bank_hashes.npy", hashes)
    np.save(work / "bank_ids.npy", ids)
    np.save(work / "queries.npy", qs)
    np.save(work / "planted_query.npy", queries.planted_query)
    np.save(work / "planted_ids.npy", queries.planted_ids)
    np.save(work / "planted_distance.npy", queries.planted_distance)
    sizes = np.bincount(bank.cluster)
    params["clusters"] = len(sizes)
    params["largest_cluster"] = int(sizes.max())
    params["distinct_hashes"] = len(np.unique(hashes.view("V32").reshape(-1)))
    params["generate_s"] = round(time.perf_counter() - started, 1)
    stamp.write_text(json.dumps(params), encoding="utf-8")


# -- children (each in its own process) ------------------------------------------------


def _rss_mb() -> float:
    with open("/proc/self/statm", encoding="ascii") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def _vigil_build(work: Path, args: argparse.Namespace) -> dict[str, Any]:
    hashes = np.load(work / "bank_hashes.npy")
    ids = np.load(work / "bank_ids.npy")
    target = work / "vigil-index"
    shutil.rmtree(target, ignore_errors=True)
    started = time.perf_counter()
    index = PdqIndex.build(target, hashes, ids)
    build_s = time.perf_counter() - started
    segment = index._view.segments[0].segment
    disk = sum(f.stat().st_size for f in target.rglob("*") if f.is_file())
    return {
        "build_s": build_s,
        "peak_rss_mb": peak_rss_mb(),
        "disk_mb": disk / 2**20,
        "parts": [p.width for p in segment.parts],
        "radii": list(segment.radii(THRESHOLD)),
    }


def _vigil_search(work: Path, args: argparse.Namespace) -> dict[str, Any]:
    queries = np.load(work / "queries.npy")
    started = time.perf_counter()
    index = PdqIndex.open(work / "vigil-index")
    open_s = time.perf_counter() - started
    started = time.perf_counter()
    found = index.search(queries, THRESHOLD)
    search_s = time.perf_counter() - started
    np.save(work / "found-vigil.npy", found)
    return {
        "open_s": open_s,
        "queries": len(queries),
        "search_s": search_s,
        "qps": len(queries) / search_s,
        "matches": len(found),
        "peak_rss_mb": peak_rss_mb(),
    }


def _faiss_child(work: Path, args: argparse.Namespace, kind: str) -> dict[str, Any]:
    import faiss  # the peers are benchmark-only dependencies

    hashes = np.load(work / "bank_hashes.npy", mmap_mode="r")
    ids = np.load(work / "bank_ids.npy")
    count = args.multihash_queries if kind == "multihash" else args.flat_queries
    queries = np.load(work / "queries.npy")[:count]
    before = _rss_mb()
    started = time.perf_counter()
    if kind == "multihash":
        index = faiss.IndexBinaryMultiHash(256, 16, 16)
        index.nflip = THRESHOLD // 16
    else:
        index = faiss.IndexBinaryFlat(256)
    for first in range(0, len(hashes), 1 << 20):  # from the mapped file, chunk by chunk
        index.add(np.ascontiguousarray(hashes[first : first + (1 << 20)]))
    build_s = time.perf_counter() - started
    index_mb = _rss_mb() - before
    started = time.perf_counter()
    lims, dist, pos = index.range_search(queries, THRESHOLD + 1)  # radius is exclusive
    search_s = time.perf_counter() - started
    query = np.repeat(np.arange(len(queries)), np.diff(lims.astype(np.int64)))
    found = _matches(query, ids[pos], dist)
    np.save(work / f"found-{kind}.npy", found)
    return {
        "build_s": build_s,
        "queries": len(queries),
        "search_s": search_s,
        "qps": len(queries) / search_s,
        "index_mb": index_mb,
        "peak_rss_mb": peak_rss_mb(),
    }


def _oracle(work: Path, args: argparse.Namespace) -> dict[str, Any]:
    hashes = np.load(work / "bank_hashes.npy")
    ids = np.load(work / "bank_ids.npy")
    queries = np.load(work / "queries.npy")[: args.oracle_queries]
    started = time.perf_counter()
    found = BruteForcePdqIndex(hashes, ids).search(queries, THRESHOLD)
    search_s = time.perf_counter() - started
    np.save(work / "found-oracle.npy", found)
    return {"queries": len(queries), "search_s": search_s, "qps": len(queries) / search_s}


def _gpu(work: Path, args: argparse.Namespace) -> dict[str, Any]:
    from vigil.matching.pdq_gpu import GpuPdqIndex, gpu_available

    if not gpu_available():
        return {"skipped": "no CUDA device visible to FAISS"}
    hashes = np.load(work / "bank_hashes.npy")
    ids = np.load(work / "bank_ids.npy")
    queries = np.load(work / "queries.npy")
    started = time.perf_counter()
    index = GpuPdqIndex(hashes, ids, device=0)
    build_s = time.perf_counter() - started
    started = time.perf_counter()
    found = index.search(queries, THRESHOLD)
    search_s = time.perf_counter() - started
    np.save(work / "found-gpu.npy", found)
    return {
        "build_s": build_s,
        "queries": len(queries),
        "search_s": search_s,
        "qps": len(queries) / search_s,
        "peak_rss_mb": peak_rss_mb(),
    }


CHILDREN = {
    "vigil-build": _vigil_build,
    "vigil-search": _vigil_search,
    "multihash": lambda w, a: _faiss_child(w, a, "multihash"),
    "flat": lambda w, a: _faiss_child(w, a, "flat"),
    "oracle": _oracle,
    "gpu": _gpu,
}


def _run_child(step: str, args: argparse.Namespace) -> dict[str, Any]:
    argv = [sys.executable, __file__, "--child", step, "--workdir", args.workdir]
    for name in ("bank", "pictures", "multihash_queries", "flat_queries", "oracle_queries"):
        argv += [f"--{name.replace('_', '-')}", str(getattr(args, name))]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr else "failed"}
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


# -- comparison ------------------------------------------------------------------------


def _matches(query: np.ndarray, ids: np.ndarray, dist: np.ndarray) -> np.ndarray:
    out = np.empty(len(query), dtype=MATCH_DTYPE)
    out["query"], out["id"], out["distance"] = query, ids, dist
    return np.unique(out)


def _compare(found: np.ndarray, truth: np.ndarray, queries: int) -> dict[str, Any]:
    found = np.unique(found[found["query"] < queries])
    truth = np.unique(truth[truth["query"] < queries])
    both = len(np.intersect1d(found, truth))
    return {
        "queries": queries,
        "identical": bool(np.array_equal(found, truth)),
        "recall": both / len(truth) if len(truth) else 1.0,
        "precision": both / len(found) if len(found) else 1.0,
        "truth_matches": len(truth),
    }


def _checks(work: Path, report: dict[str, Any]) -> dict[str, Any]:
    oracle = np.load(work / "found-oracle.npy")
    queries = report["oracle"]["queries"]
    checks: dict[str, Any] = {}
    for name in ("vigil", "multihash", "flat", "gpu"):
        path = work / f"found-{name}.npy"
        if path.exists():
            checks[f"{name}_vs_oracle"] = _compare(np.load(path), oracle, queries)
    vigil = np.load(work / "found-vigil.npy")
    multihash = np.load(work / "found-multihash.npy")
    checks["vigil_vs_multihash"] = _compare(vigil, multihash, report["multihash"]["queries"])
    planted_q = np.load(work / "planted_query.npy")
    planted_id = np.load(work / "planted_ids.npy")
    planted_d = np.load(work / "planted_distance.npy")
    got = dict(
        zip(
            zip(vigil["query"].tolist(), vigil["id"].tolist(), strict=True),
            vigil["distance"].tolist(),
            strict=True,
        )
    )
    match = planted_d <= THRESHOLD
    hits = [got.get((q, i)) for q, i in zip(planted_q.tolist(), planted_id.tolist(), strict=True)]
    checks["planted_matches_found"] = sum(
        h == d for h, d, m in zip(hits, planted_d.tolist(), match, strict=True) if m
    )
    checks["planted_matches"] = int(match.sum())
    checks["decoys_returned"] = sum(
        h is not None for h, m in zip(hits, match, strict=True) if not m
    )
    checks["decoys"] = int((~match).sum())
    return checks


def _table(report: dict[str, Any]) -> str:
    data = json.loads((Path(report["params"]["workdir"]) / "data.json").read_text(encoding="utf-8"))
    build, search = report["vigil-build"], report["vigil-search"]
    mh, flat, oracle = report["multihash"], report["flat"], report["oracle"]
    checks = report["checks"]
    rows = [
        "| index | queries timed | queries/s | × MultiHash | build s | memory MB | = oracle |",
        "|---|---:|---:|---:|---:|---:|---|",
        _row(
            "Vigil PdqIndex (mmap)",
            search,
            mh,
            build["build_s"],
            search["peak_rss_mb"],
            checks["vigil_vs_oracle"],
        ),
        _row(
            "FAISS MultiHash(256,16,16)",
            mh,
            mh,
            mh["build_s"],
            mh["index_mb"],
            checks["multihash_vs_oracle"],
        ),
        _row(
            "FAISS BinaryFlat",
            flat,
            mh,
            flat["build_s"],
            flat["index_mb"],
            checks["flat_vs_oracle"],
        ),
        _row("brute force (oracle)", oracle, mh, 0.0, float("nan"), None),
    ]
    gpu = report.get("gpu", {})
    if "qps" in gpu:
        rows.append(
            _row(
                "Vigil GpuPdqIndex",
                gpu,
                mh,
                gpu["build_s"],
                gpu["peak_rss_mb"],
                checks.get("gpu_vs_oracle"),
            )
        )
    notes = [
        "",
        f"bank {data['bank']:,} hashes ({data['distinct_hashes']:,} distinct, "
        f"{data['clusters']:,} clusters, largest {data['largest_cluster']:,}); "
        f"{data['pictures']:,} pictures × 8 = {8 * data['pictures']:,} queries",
        f"Vigil: parts {build['parts']}, radii {build['radii']}; "
        f"build peak RSS {build['peak_rss_mb']:.0f} MB; index on disk {build['disk_mb']:.0f} MB; "
        f"open {search['open_s'] * 1000:.1f} ms; {search['matches']:,} matches",
        f"Vigil = MultiHash on its {mh['queries']:,} queries: "
        f"{checks['vigil_vs_multihash']['identical']}; "
        f"planted matches found {checks['planted_matches_found']:,}/{checks['planted_matches']:,}, "
        f"decoys returned {checks['decoys_returned']}/{checks['decoys']:,}",
    ]
    return "\n".join(rows + notes)


def _row(
    name: str,
    run: dict[str, Any],
    mh: dict[str, Any],
    build_s: float,
    mem: float,
    check: dict[str, Any] | None,
) -> str:
    verdict = "—" if check is None else f"{check['identical']} (recall {check['recall']:.3f})"
    return (
        f"| {name} | {run['queries']:,} | {run['qps']:,.0f} | {run['qps'] / mh['qps']:.1f} | "
        f"{build_s:.1f} | {mem:,.0f} | {verdict} |"
    )


if __name__ == "__main__":
    main()
