"""Benchmark: the scanning process's peak memory stays flat as the tree grows.

Scans trees of N small files (N = 20k, then 5× and 25× that by default) and
prints, for each run, the items/s and the peak memory of each process apart:
  * the main ``vigil scan`` process (walk, queue, matcher, writer): its VmHWM,
    sampled from /proc while it runs;
  * its worker processes: the largest VmHWM of any one worker, and how many;
  * all of them at once: the largest sum of their RSS at one sampling instant;
  * ``wait4``'s ``ru_maxrss``, for reference: Linux reports the largest of the
    main process and its waited-for children there, so it is not the main
    process's own figure (the earlier version of this benchmark read it as such).
Flat memory means the largest tree's peaks are close to the smallest's.

Usage: python bench/scan_memory.py [--sizes 20000,100000,500000] [--interval 0.02]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

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


@dataclass
class Peaks:
    """Peak memory of one scan, the main process and its workers counted apart."""

    seconds: float
    main_mb: float
    """The ``vigil scan`` process: walk, queue, matcher and writer."""
    worker_max_mb: float
    """The largest peak of any one worker process."""
    workers: int
    """Worker processes seen."""
    children: list[tuple[str, float]]
    """Every child process seen (its role, from its command line) and its peak."""
    total_mb: float
    """Largest sum of every process's resident memory at one sampling instant
    (pages shared after fork counted once per process, so an upper bound)."""
    tree_max_mb: float
    """``wait4``'s ``ru_maxrss``: the largest peak of the main process *or* any
    of its waited-for descendants, whichever is bigger; not the main process alone."""


def _hwm_mb(process: psutil.Process) -> float | None:
    """A process's own peak RSS so far (VmHWM), None once it has gone."""
    try:
        with open(f"/proc/{process.pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except (FileNotFoundError, ProcessLookupError):
        return None
    return None


def _role(process: psutil.Process) -> str:
    """``worker`` for a scan worker, else what the child is (multiprocessing's helper …)."""
    try:
        command = " ".join(process.cmdline())
    except psutil.Error:
        return "?"
    if "resource_tracker" in command:
        return "resource tracker"
    if "multiprocessing" in command:
        return "worker"
    return command[:60]


def scan(root: Path, interval_s: float) -> Peaks:
    """Run one scan, sampling each process's VmHWM every ``interval_s`` seconds.

    VmHWM is a high-water mark, so sampling loses only what a process grows by
    in its last interval before it exits.
    """
    with tempfile.TemporaryDirectory(dir=WORK) as home, tempfile.TemporaryFile() as errors:
        env = dict(os.environ, VIGIL_HOME=home)
        env.pop("VIGIL_DATABASE_URL", None)
        start = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "vigil", "scan", str(root), "--case", "mem"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=errors,
        )
        main = psutil.Process(proc.pid)
        main_mb = 0.0
        worker_mb: dict[int, float] = {}
        role: dict[int, str] = {}
        total_mb = 0.0
        while True:
            # wait4 with WNOHANG rather than poll(): it reaps the child and keeps its rusage.
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                proc.returncode = os.waitstatus_to_exitcode(status)
                break
            main_mb = max(main_mb, _hwm_mb(main) or 0.0)
            instant = 0.0
            try:
                children = main.children(recursive=True)
                instant = main.memory_info().rss / 2**20
            except psutil.NoSuchProcess:
                children = []
            for child in children:
                peak = _hwm_mb(child)
                if peak is not None:
                    # The latest sample, not the largest: between fork and exec a child
                    # still shows the parent's VmHWM; exec starts a fresh one.
                    worker_mb[child.pid] = peak
                    role[child.pid] = _role(child)
                with contextlib.suppress(psutil.NoSuchProcess):
                    instant += child.memory_info().rss / 2**20
            total_mb = max(total_mb, instant)
            time.sleep(interval_s)
        elapsed = time.perf_counter() - start
        if proc.returncode != 0:
            errors.seek(0)
            raise SystemExit(errors.read().decode(errors="replace")[-1500:])
    workers = [mb for pid, mb in worker_mb.items() if role.get(pid) == "worker"]
    return Peaks(
        seconds=elapsed,
        main_mb=main_mb,
        worker_max_mb=max(workers, default=0.0),
        workers=len(workers),
        children=[(role.get(pid, "?"), mb) for pid, mb in worker_mb.items()],
        total_mb=total_mb,
        tree_max_mb=usage.ru_maxrss / 1024,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="20000,100000,500000")
    parser.add_argument("--interval", type=float, default=0.02, help="sampling period, s")
    args = parser.parse_args()
    print(
        "| files | seconds | items/s | main peak MiB | largest worker peak MiB (workers) "
        "| all processes at once, peak MiB | wait4 ru_maxrss MiB |"
    )
    print("|---|---|---|---|---|---|---|")
    runs = []
    details: list[str] = []
    for size in [int(s) for s in args.sizes.split(",")]:
        root = WORK / f"tree-{size}"
        make_tree(root, size)
        peaks = scan(root, args.interval)
        runs.append(peaks)
        print(
            f"| {size:,} | {peaks.seconds:.1f} | {size / peaks.seconds:,.0f} "
            f"| {peaks.main_mb:.0f} | {peaks.worker_max_mb:.0f} ({peaks.workers}) "
            f"| {peaks.total_mb:.0f} | {peaks.tree_max_mb:.0f} |"
        )
        details.append(
            f"{size:,} files: " + ", ".join(f"{name} {mb:.0f}" for name, mb in peaks.children)
        )
    print("\nchild processes, peak MiB each: " + "; ".join(details))
    print(
        f"largest/smallest tree: main peak ratio {runs[-1].main_mb / runs[0].main_mb:.2f}, "
        f"largest worker peak ratio {runs[-1].worker_max_mb / max(runs[0].worker_max_mb, 1):.2f}"
    )


if __name__ == "__main__":
    main()
