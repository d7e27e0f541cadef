"""Benchmark: an incremental change of a 10M-hash PDQ index against a full rebuild, in one run.

Two levels, each in its own process (peak RSS is per process):

* ``index`` — :class:`PdqIndex` alone, on the bank of ``pdq_index_bench.py``
  (made there first if missing): a full build of the whole bank, then one
  ``update`` adding 100k new hashes, one deleting 100k, one doing both (a
  new version of a 100k set), then a compaction. Exactness: after the changes
  the index answers exactly what a fresh build of the live rows answers, and
  the brute-force oracle on the first ``--oracle-queries`` queries.
* ``library`` — the same through the hash library on SQLite, the way scans and
  ``vigil lookup`` meet it (``pdq_searcher``): a store with a 10M-entry set
  (bulk-inserted straight into ``hash_entry``: importing 10M CSV lines would
  add minutes and measure the importer) and a 100k set imported by
  ``import_file``; then the first build, and the update after: importing a
  new 100k set, removing a 100k set, importing a new version of a 100k set.
  Each time is the whole ``pdq_searcher`` call, SQL reads included; the
  per-call cost when nothing changed is measured too. The same store answers
  the exact-lookup question: MD5 lookups the way the scan's matcher asks them
  (``IN`` lists of 500) against :class:`ExactIndex` on the same digests.

Usage: python bench/pdq_update_bench.py [--change 100000] [--skip-library]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from _memory import peak_rss_mb
from vigil.matching import BruteForcePdqIndex, ExactIndex, PdqIndex

HERE = Path(__file__).resolve().parent
BANK_DIR = HERE / "work" / "pdq-index"
THRESHOLD = 31


def main() -> None:
    """Run each level in its own process and print a markdown table."""
    args = _parser().parse_args()
    global BANK_DIR
    BANK_DIR = Path(args.bank_dir)
    work = Path(args.workdir)
    if args.child:
        print(json.dumps(CHILDREN[args.child](work, args)))
        return
    if not (BANK_DIR / "bank_hashes.npy").exists():
        subprocess.run([sys.executable, str(HERE / "pdq_index_bench.py"), "--skip-gpu"], check=True)
    work.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {"params": vars(args)}
    for step in ("index", "library"):
        if step == "library" and args.skip_library:
            continue
        print(f"… {step}", file=sys.stderr, flush=True)
        report[step] = _run_child(step, args)
    (work / "report.json").write_text(json.dumps(report, indent=1), encoding="utf-8")
    print(_table(report))


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--change", type=int, default=100_000, help="entries added / deleted")
    p.add_argument("--queries", type=int, default=20_000, help="queries for the exactness check")
    p.add_argument("--oracle-queries", type=int, default=200)
    p.add_argument("--lookups", type=int, default=200_000, help="MD5 digests looked up")
    p.add_argument("--skip-library", action="store_true")
    p.add_argument("--workdir", default=str(HERE / "work" / "pdq-update"))
    p.add_argument("--bank-dir", default=str(BANK_DIR), help="where pdq_index_bench put its bank")
    p.add_argument("--child", choices=sorted(CHILDREN), help=argparse.SUPPRESS)
    return p


def _timed(task: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    result = task()
    return time.perf_counter() - started, result


def _fresh_hashes(count: int, seed: int) -> np.ndarray:
    """New PDQ-like hashes: bank rows a few bits off (as re-encodes of known pictures are)."""
    from vigil.matching import synthetic

    rng = np.random.default_rng(seed)
    bank = np.load(BANK_DIR / "bank_hashes.npy", mmap_mode="r")
    rows = np.sort(rng.choice(len(bank), count, replace=False))
    return synthetic.flip_some(np.asarray(bank[rows]), rng.integers(1, 12, count), rng)


# -- index level -----------------------------------------------------------------------


def _index_level(work: Path, args: argparse.Namespace) -> dict[str, Any]:
    hashes = np.load(BANK_DIR / "bank_hashes.npy")
    ids = np.load(BANK_DIR / "bank_ids.npy")
    queries = np.load(BANK_DIR / "queries.npy")[: args.queries]
    target = work / "index"
    shutil.rmtree(target, ignore_errors=True)
    out: dict[str, Any] = {"rows": len(ids)}
    out["build_s"], index = _timed(lambda: PdqIndex.build(target, hashes, ids))
    first_new = int(ids.max()) + 1
    added = _fresh_hashes(args.change, 11)
    added_ids = np.arange(first_new, first_new + args.change)
    out["add_s"], _ = _timed(lambda: index.update(added, added_ids))
    gone = np.random.default_rng(12).choice(ids, args.change, replace=False)
    out["delete_s"], _ = _timed(lambda: index.update(added[:0], added_ids[:0], delete=gone))
    # A new version of a 100k set: its old entries out, the new ones in, one swap.
    replaced = _fresh_hashes(args.change, 13)
    replaced_ids = added_ids + args.change
    out["replace_s"], _ = _timed(lambda: index.update(replaced, replaced_ids, delete=added_ids))
    out["segments"] = len(index.segments)
    out["search_qps_before_compaction"] = _qps(index, queries)
    out["compact_s"], _ = _timed(index.compact)
    out["search_qps_after_compaction"] = _qps(index, queries)
    live = ~np.isin(ids, gone)
    all_hashes = np.concatenate([hashes[live], replaced])
    all_ids = np.concatenate([ids[live], replaced_ids])
    rebuilt = PdqIndex.build(work / "index-rebuilt", all_hashes, all_ids)
    found = index.search(queries)
    out["equals_fresh_build"] = bool(np.array_equal(found, rebuilt.search(queries)))
    shutil.rmtree(work / "index-rebuilt")
    few = queries[: args.oracle_queries]
    oracle = BruteForcePdqIndex(all_hashes, all_ids).search(few, THRESHOLD)
    out["equals_oracle"] = bool(np.array_equal(index.search(few), oracle))
    out["oracle_queries"], out["matches"] = len(few), len(found)
    out["deleted_found"] = int(np.isin(found["id"], np.concatenate([gone, added_ids])).sum())
    out["peak_rss_mb"] = peak_rss_mb()
    return out


def _qps(index: PdqIndex, queries: np.ndarray) -> float:
    """Queries/s once warm: the first search also faults the fresh files' pages in."""
    index.search(queries[: len(queries) // 10])
    seconds, _ = _timed(lambda: index.search(queries))
    return len(queries) / seconds


# -- library level -----------------------------------------------------------------------


def _library_level(work: Path, args: argparse.Namespace) -> dict[str, Any]:
    from vigil.hashsets import library
    from vigil.matching.library_pdq import pdq_searcher
    from vigil.matching.library_sync import library_sets
    from vigil.store.engine import open_store

    db = work / "library.db"
    root = work / "library-index"
    shutil.rmtree(root, ignore_errors=True)
    db.unlink(missing_ok=True)
    store = open_store(f"sqlite:///{db}")
    hashes = np.load(BANK_DIR / "bank_hashes.npy")
    n = len(hashes) - args.change
    out: dict[str, Any] = {"rows": len(hashes)}
    out["load_db_s"], _ = _timed(lambda: _bulk_set(store, work, "national", hashes[:n]))
    library.import_file(store, _csv(work / "old.csv", hashes[n:], "old"), "local-old")

    def search_call() -> float:
        with store.connect() as conn:
            seconds, _ = _timed(lambda: pdq_searcher(conn, root, compaction="off"))
        return seconds

    out["full_build_s"] = search_call()
    out["unchanged_call_s"] = search_call()
    with store.connect() as conn:
        out["library_state_query_s"], _ = _timed(lambda: library_sets(conn))
    library.import_file(store, _csv(work / "new.csv", _fresh_hashes(args.change, 21), "n"), "new")
    out["add_set_s"] = search_call()
    library.remove_set(store, "local-old")
    out["remove_set_s"] = search_call()
    version2 = _csv(work / "new2.csv", _fresh_hashes(args.change, 22), "n2")
    library.import_file(store, version2, "new")
    out["new_version_s"] = search_call()
    shutil.rmtree(work / "library-rebuilt", ignore_errors=True)
    with store.connect() as conn:
        out["rebuild_now_s"], rebuilt = _timed(
            lambda: pdq_searcher(conn, work / "library-rebuilt", compaction="off")
        )
        index = pdq_searcher(conn, root, compaction="off")
    queries = np.load(BANK_DIR / "queries.npy")[: args.queries]
    out["equals_fresh_build"] = bool(np.array_equal(index.search(queries), rebuilt.search(queries)))
    out.update(_exact_lookups(store, work, args, n))
    out["peak_rss_mb"] = peak_rss_mb()
    return out


def _md5(tag: str, i: int) -> bytes:
    return hashlib.md5(f"{tag}-{i}".encode()).digest()


def _csv(path: Path, hashes: np.ndarray, tag: str) -> Path:
    lines = ["md5,pdq,category"]
    lines += [f"{_md5(tag, i).hex()},{h.tobytes().hex()},A" for i, h in enumerate(hashes)]
    path.write_text("\n".join(lines) + "\n", encoding="ascii")
    return path


def _bulk_set(store: Any, work: Path, name: str, hashes: np.ndarray) -> None:
    """A set whose 10M entries go straight into hash_entry (a 1-entry import makes the set)."""
    from sqlalchemy import select

    from vigil.hashsets import library
    from vigil.store.schema import hashset

    library.import_file(store, _csv(work / "seed.csv", hashes[:1], name), name)
    with store.begin() as conn:
        set_id = conn.execute(select(hashset.c.id).where(hashset.c.name == name)).scalar_one()
        sql = "INSERT INTO hash_entry (hashset_id, md5, pdq, category) VALUES (?, ?, ?, 'A')"
        for first in range(1, len(hashes), 100_000):
            block = hashes[first : first + 100_000]
            rows = [(set_id, _md5(name, first + i), h.tobytes()) for i, h in enumerate(block)]
            conn.exec_driver_sql(sql, rows)


def _exact_lookups(
    store: Any, work: Path, args: argparse.Namespace, national: int
) -> dict[str, Any]:
    """MD5 lookups at 10M entries: SQL ``IN`` lists of 500 (the matcher's way) vs ExactIndex."""
    from sqlalchemy import select

    from vigil.matching.library_sync import LOAD_BATCH
    from vigil.store.schema import hash_entry

    rng = np.random.default_rng(31)
    known = [_md5("national", int(i)) for i in rng.integers(0, national, args.lookups // 2)]
    strangers = [_md5("stranger", i) for i in range(args.lookups // 2)]
    wanted = known + strangers
    column = hash_entry.c.md5
    found = 0
    with store.connect() as conn:
        started = time.perf_counter()
        for first in range(0, len(wanted), 500):
            chunk = wanted[first : first + 500]
            found += len(conn.execute(select(hash_entry.c.id).where(column.in_(chunk))).all())
        sql_s = time.perf_counter() - started
        started = time.perf_counter()
        ids, digests = [], []
        result = conn.execute(
            select(hash_entry.c.id, column)
            .where(column.is_not(None))
            .execution_options(stream_results=True, yield_per=LOAD_BATCH)
        )
        for part in result.partitions():
            ids.append(np.array([r[0] for r in part], dtype=np.int64))
            digests.append(np.frombuffer(b"".join(r[1] for r in part), np.uint8).reshape(-1, 16))
        target = work / "exact-md5"
        shutil.rmtree(target, ignore_errors=True)
        index = ExactIndex.build(target, "md5", np.concatenate(digests), np.concatenate(ids))
        build_s = time.perf_counter() - started
    queries = np.frombuffer(b"".join(wanted), np.uint8).reshape(-1, 16)
    started = time.perf_counter()
    for first in range(0, len(queries), 500):
        hits = index.lookup(queries[first : first + 500])
    exact_s = time.perf_counter() - started
    del hits
    return {
        "lookups": len(wanted),
        "sql_found": found,
        "sql_lookups_per_s": len(wanted) / sql_s,
        "exact_index_build_s": build_s,
        "exact_index_lookups_per_s": len(wanted) / exact_s,
        "exact_index_found": len(index.lookup(queries)),
    }


CHILDREN = {"index": _index_level, "library": _library_level}


def _run_child(step: str, args: argparse.Namespace) -> dict[str, Any]:
    argv = [sys.executable, __file__, "--child", step, "--workdir", args.workdir]
    for name in ("change", "queries", "oracle_queries", "lookups", "bank_dir"):
        argv += [f"--{name.replace('_', '-')}", str(getattr(args, name))]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr else "failed"}
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _table(report: dict[str, Any]) -> str:
    lines = []
    k = f"{report['params']['change'] // 1000}k"
    ix = report["index"]
    if "error" not in ix:
        build = ix["build_s"]
        lines += [
            f"PdqIndex, {ix['rows']:,} hashes (times in s; × = full build ÷ update)",
            "| change | seconds | × faster than a full build |",
            "|---|---:|---:|",
            f"| full build | {build:.1f} | 1.0 |",
        ]
        for key, label in (
            ("add_s", f"add {k} (new segment)"),
            ("delete_s", f"delete {k} (tombstones)"),
            ("replace_s", f"replace a {k} set (both, one swap)"),
            ("compact_s", "compaction (background)"),
        ):
            lines.append(f"| {label} | {ix[key]:.2f} | {build / ix[key]:.0f} |")
        lines.append(
            f"segments {ix['segments']}; q/s before compaction "
            f"{ix['search_qps_before_compaction']:,.0f}, after "
            f"{ix['search_qps_after_compaction']:,.0f}; equals a fresh build: "
            f"{ix['equals_fresh_build']}, equals the oracle on {ix['oracle_queries']} queries: "
            f"{ix['equals_oracle']}; deleted ids returned: {ix['deleted_found']}; "
            f"peak RSS {ix['peak_rss_mb']:,.0f} MB"
        )
    else:
        lines.append(f"index: {ix['error']}")
    lib = report.get("library")
    if lib and "error" not in lib:
        build = lib["full_build_s"]
        lines += [
            "",
            f"pdq_searcher on SQLite, {lib['rows']:,} PDQ entries (whole call, SQL included)",
            "| change | seconds | × faster than a full build |",
            "|---|---:|---:|",
            f"| first build | {build:.1f} | 1.0 |",
        ]
        for key, label in (
            ("unchanged_call_s", "nothing changed (state query + open)"),
            ("add_set_s", f"a new {k} set imported"),
            ("remove_set_s", f"a {k} set removed"),
            ("new_version_s", f"a new version of a {k} set"),
        ):
            lines.append(f"| {label} | {lib[key]:.2f} | {build / lib[key]:.0f} |")
        lines.append(
            f"state query alone {lib['library_state_query_s']:.2f} s; rebuild of the final "
            f"library {lib['rebuild_now_s']:.1f} s; equals a fresh build: "
            f"{lib['equals_fresh_build']}; DB bulk load {lib['load_db_s']:.0f} s"
        )
        lines.append(
            f"MD5 lookups ({lib['lookups']:,}, half known): SQL IN-500 "
            f"{lib['sql_lookups_per_s']:,.0f}/s ({lib['sql_found']:,} found); ExactIndex "
            f"{lib['exact_index_lookups_per_s']:,.0f}/s ({lib['exact_index_found']:,} found), "
            f"built from SQL in {lib['exact_index_build_s']:.0f} s"
        )
    elif lib:
        lines.append(f"library: {lib['error']}")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
