"""Benchmark: MD5+SHA-1+SHA-256 throughput of `vigil scan` against hashdeep, same run.

Large files of random bytes (nothing to decode: the crypto hashing and the
read dominate), page cache warmed first. hashdeep (Debian `hashdeep`) runs as
`hashdeep -c md5,sha1,sha256 -r DIR` with its default one thread per core;
vigil scan runs with its default one worker per core.

Usage: python bench/crypto_throughput.py [--files 8] [--mb 256]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORK = HERE / "work"


def make_files(folder: Path, count: int, size_mb: int) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    total = 0
    for i in range(count):
        path = folder / f"blob-{i}.bin"
        if not path.exists() or path.stat().st_size != size_mb << 20:
            with path.open("wb") as out:
                for _ in range(size_mb):
                    out.write(os.urandom(1 << 20))
        total += path.stat().st_size
    return total


def timed(argv: list[str], env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{argv[:3]} failed: {done.stderr[-1500:]}")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=8)
    parser.add_argument("--mb", type=int, default=256)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    hashdeep = shutil.which("hashdeep")
    if hashdeep is None:
        raise SystemExit("hashdeep not found: run `make bench` (installs Debian's hashdeep)")
    folder = WORK / "crypto"
    total = make_files(folder, args.files, args.mb)
    for path in folder.iterdir():
        path.read_bytes()  # warm the page cache for both tools
    results: dict[str, list[float]] = {"hashdeep": [], "vigil scan": []}
    for _ in range(args.repeat):
        results["hashdeep"].append(timed([hashdeep, "-c", "md5,sha1,sha256", "-r", str(folder)]))
        with tempfile.TemporaryDirectory(dir=WORK) as home:
            env = dict(os.environ, VIGIL_HOME=home)
            env.pop("VIGIL_DATABASE_URL", None)
            argv = [sys.executable, "-m", "vigil", "scan", str(folder), "--case", "crypto"]
            results["vigil scan"].append(timed(argv, env))
    mb = total / 1e6
    print(
        f"{args.files} files × {args.mb} MiB = {mb:,.0f} MB, "
        f"{os.cpu_count()} cores, best of {args.repeat}"
    )
    print("\n| tool | seconds | MB/s | × hashdeep |")
    print("|---|---|---|---|")
    best = {name: min(times) for name, times in results.items()}
    for name, seconds in best.items():
        print(
            f"| {name} | {seconds:.2f} | {mb / seconds:,.0f} | {best['hashdeep'] / seconds:.2f} |"
        )


if __name__ == "__main__":
    main()
