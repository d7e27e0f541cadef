"""Benchmark: importing a large VICS 2.0 file streams (peak memory far below the file size).

Writes a VICS 2.0 `#Media` hash set of about --mb megabytes (MD5, SHA-1,
category and one MediaFiles record per entry, as national sets carry), then
imports it with `vigil hashset import` in its own process and reports the
time and that process's peak RSS next to the file size. The baseline is
`json.load` of the same file (what a non-streaming reader would do), in its
own process.

Usage: python bench/vics_import_memory.py [--mb 500]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from vigil.hashsets.formats.vics_writer import write_vics
from vigil.hashsets.model import HashEntry
from vigil.hashsets.schemes import load_scheme

HERE = Path(__file__).resolve().parent
WORK = HERE / "work"
CATEGORIES = ("A", "B", "C", "not_indecent", None)


def entries(count: int) -> Iterator[HashEntry]:
    for i in range(count):
        data = f"benign-{i}".encode()
        yield HashEntry(
            md5=hashlib.md5(data).digest(),
            sha1=hashlib.sha1(data).digest(),
            category=CATEGORIES[i % len(CATEGORIES)],
            name=f"IMG_{i:08d}.jpg",
            size=10_000 + i,
            media_id=str(i + 1),
            extra={
                "MediaFiles": [
                    {
                        "FileName": f"IMG_{i:08d}.jpg",
                        "FilePath": f"/Users/x/Pictures/{i // 1000:05d}/",
                        "Created": "2024-01-02T03:04:05Z",
                    }
                ],
                "IsDistributed": i % 7 == 0,
            },
        )


def make_file(path: Path, target_mb: int) -> int:
    """Write about ``target_mb`` MB of VICS; returns the entry count."""
    per_entry = 280  # bytes per Media record as written, measured on a small sample
    count = target_mb * 1_000_000 // per_entry
    marker = path.with_suffix(".count")
    if path.exists() and marker.exists():
        return int(marker.read_text())
    with path.open("wb") as out:
        write_vics(entries(count), out, load_scheme("uk"))
    marker.write_text(str(count))
    return count


def peak(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, int]:
    start = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(err.decode()[-1500:])
    return time.perf_counter() - start, usage.ru_maxrss * 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mb", type=int, default=500)
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    path = WORK / f"vics-{args.mb}mb.json"
    count = make_file(path, args.mb)
    size_mb = path.stat().st_size / 2**20
    with tempfile.TemporaryDirectory(dir=WORK) as home:
        env = dict(os.environ, VIGIL_HOME=home)
        env.pop("VIGIL_DATABASE_URL", None)
        argv = [sys.executable, "-m", "vigil", "hashset", "import", str(path), "--name", "v"]
        seconds, rss = peak(argv, env)
    load_s, load_rss = peak([sys.executable, "-c", f"import json; json.load(open({str(path)!r}))"])
    print(f"VICS 2.0 file: {size_mb:,.0f} MiB, {count:,} Media records")
    print("\n| reader | seconds | peak RSS MiB | peak RSS / file size |")
    print("|---|---|---|---|")
    for name, secs, mem in (
        ("vigil hashset import", seconds, rss),
        ("json.load (baseline)", load_s, load_rss),
    ):
        mib = mem / 2**20
        print(f"| {name} | {secs:.1f} | {mib:,.0f} | {mib / size_mb:.2f} |")


if __name__ == "__main__":
    main()
