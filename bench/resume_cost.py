"""Benchmark: what a resumed scan costs compared with a full one (issue 12).

    python bench/resume_cost.py [--pictures 3000] [--workers 2] [--at 0.5]

Three runs of `vigil scan` on the same synthetic folder (distinct JPEG pictures
in folders of 100, with a zip of 20 pictures in every folder), each into its
own SQLite store, page cache warm:

  * full        — the uninterrupted scan;
  * interrupted — the same scan, sent SIGINT (Ctrl-C) once ``--at`` of the
                  top-level entries are committed (polled in its store: the share
                  of work done, whatever the machine's load); prints how many it
                  had committed when it stopped and how long stopping took;
  * resume      — `vigil scan --resume --case C` finishing the interrupted one.

Prints resume/full in wall time and in CPU time (the scan and its workers; the
figure to read on a shared machine): a scan interrupted half way should cost at
most 0.6 of a full scan to finish. Times are whole commands, start-up included.
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from pathlib import Path

from vigil.demo.imagegen import encode, make_picture

HERE = Path(__file__).resolve().parent
WORK = HERE / "work" / "resume-cost"
PER_FOLDER = 100
ZIP_MEMBERS = 20


def build_folder(pictures: int) -> Path:
    """Fill bench/work/resume-cost/evidence-N once; returns the folder."""
    folder = WORK / f"evidence-{pictures}"
    if folder.exists():
        return folder
    partial = folder.with_name(folder.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    for i in range(pictures):
        target = partial / f"f{i // PER_FOLDER:03d}"
        target.mkdir(parents=True, exist_ok=True)
        (target / f"{i:05d}.jpg").write_bytes(encode(make_picture(i, (800, 600))))
        if i % PER_FOLDER == 0:
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w") as z:
                for m in range(ZIP_MEMBERS):
                    z.writestr(f"z/{m}.jpg", encode(make_picture(10**6 + i + m, (400, 300))))
            (target / "pack.zip").write_bytes(buffer.getvalue())
    partial.rename(folder)
    return folder


def _command(home: Path, *args: str) -> tuple[list[str], dict[str, str]]:
    env = dict(os.environ, VIGIL_HOME=str(home))
    env.pop("VIGIL_DATABASE_URL", None)
    return [sys.executable, "-m", "vigil", "scan", *args], env


def _fresh_home(name: str) -> Path:
    home = WORK / name
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    return home


def _committed(home: Path) -> int:
    with sqlite3.connect(home / "vigil.db") as conn:
        return int(conn.execute("SELECT count(*) FROM scan_task").fetchone()[0])


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_scan(home: Path, *args: str) -> tuple[float, float]:
    """Wall and CPU seconds (the scan and its workers) of one `vigil scan` (exit 0 required)."""
    argv, env = _command(home, *args)
    started, cpu = time.monotonic(), _children_cpu_s()
    subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.monotonic() - started, _children_cpu_s() - cpu


def interrupted_scan(home: Path, after_tasks: int, *args: str) -> tuple[float, float, int, str]:
    """Start a scan, Ctrl-C it once ``after_tasks`` entries are committed.

    Returns (seconds from Ctrl-C to exit, seconds from start to exit, entries
    committed at the Ctrl-C, stderr).
    """
    argv, env = _command(home, *args)
    started = time.monotonic()
    # Its own process group, as a terminal's foreground job: Ctrl-C reaches the workers too.
    proc = subprocess.Popen(
        argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )
    while _committed_or_zero(home) < after_tasks:
        if proc.poll() is not None:
            raise SystemExit("the scan finished before it could be interrupted")
        time.sleep(0.05)
    at_signal = _committed_or_zero(home)
    signalled = time.monotonic()
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    ended = time.monotonic()
    if proc.returncode != 130:
        raise SystemExit(f"interrupted scan exited {proc.returncode}, not 130: {err.decode()}")
    return ended - signalled, ended - started, at_signal, err.decode()


def _committed_or_zero(home: Path) -> int:
    try:
        return _committed(home)
    except sqlite3.OperationalError:  # not created yet, or mid-migration
        return 0


def main() -> None:
    """Run the three scans and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pictures", type=int, default=3000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--at", type=float, default=0.5, help="Interrupt once this share of entries is committed."
    )
    args = parser.parse_args()
    folder = build_folder(args.pictures)
    workers = ("--workers", str(args.workers))
    for path in folder.rglob("*"):  # warm the page cache
        if path.is_file():
            path.read_bytes()

    full_home = _fresh_home("full")
    full, full_cpu = timed_scan(full_home, str(folder), "--case", "full", *workers)
    total_tasks = _committed(full_home)

    home = _fresh_home("interrupted")
    stop_s, until_stop, at_signal, err = interrupted_scan(
        home, round(total_tasks * args.at), str(folder), "--case", "cut", *workers
    )
    saved = _committed(home)
    resume, resume_cpu = timed_scan(home, "--resume", "--case", "cut", *workers)
    if _committed(home) != total_tasks:
        raise SystemExit(f"resume committed {_committed(home)} entries, full scan {total_tasks}")

    print(f"evidence: {args.pictures} pictures + {args.pictures // PER_FOLDER} zips "
          f"({total_tasks} top-level entries), {args.workers} workers")  # fmt: skip
    print(f"full scan        {full:7.2f} s wall, {full_cpu:7.2f} s CPU")
    print(
        f"interrupted at   {until_stop - stop_s:7.2f} s with {at_signal} entries committed; "
        f"stopped {stop_s:.2f} s after Ctrl-C with {saved} of {total_tasks} "
        f"({saved / total_tasks:.0%}; {saved - at_signal} saved on the way out)"
    )
    print(f"resume           {resume:7.2f} s wall, {resume_cpu:7.2f} s CPU")
    print(f"resume / full    {resume / full:7.2f} wall, {resume_cpu / full_cpu:7.2f} CPU")
    print(f"interrupt + resume / full {(until_stop + resume) / full:.2f}")
    print("stderr of the interrupted scan:", err.strip().splitlines()[-1:])


if __name__ == "__main__":
    main()
