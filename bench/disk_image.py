"""Benchmark: `vigil scan` of a 2 GB raw disk image against The Sleuth Kit + hashdeep.

All in one run, on the same image (bench/work/disk-bench.img, git-ignored):
a FAT32 volume filling a 2 GB raw image, holding thousands of benign
generated JPEGs (distinct files: each carries its own JPEG comment), some of
them then deleted with ``mdel``; the rest of the volume is free space.

  * vigil scan         — open the image, walk the file system (allocated and
                         deleted), hash MD5/SHA-1/SHA-256, PDQ every picture
                         with 8 variants, match, store; then carve the free
                         space for JPEG/PNG/GIF;
  * tsk_recover + hashdeep — the usual command-line pair: ``tsk_recover -e``
                         (every file, allocated and deleted, copied out), then
                         ``hashdeep -r -c md5,sha1,sha256`` over what it wrote.
                         No perceptual hash, no carving: a lower bound on the
                         work Vigil does.

Reported: seconds, image MB/s (image size / time), images/s (pictures found /
time), and Vigil's ratios to the peer. The image is a single top-level file,
so ``vigil scan`` runs it as one worker task (one core): it is run with
--workers 1 and with all cores to show that.

Usage: python bench/disk_image.py [--size-gb 2] [--distinct 300] [--copies 10] [--deleted 300]
Needs mkfs.vfat, mtools, tsk_recover, hashdeep (`make bench` installs them).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from vigil.demo.imagegen import encode, make_picture

HERE = Path(__file__).resolve().parent
WORK = HERE / "work" / "disk-image"
VIGIL = Path(sys.executable).with_name("vigil")


def build(size_gb: float, distinct: int, copies: int, deleted: int) -> tuple[Path, int, int]:
    """The image (built once per parameters); returns it, pictures written, pictures deleted."""
    tag = f"{size_gb:g}g-{distinct}x{copies}-d{deleted}"
    image = WORK / f"disk-{tag}.img"
    if image.exists():
        return image, distinct * copies, deleted
    WORK.mkdir(parents=True, exist_ok=True)
    stage = WORK / "stage"
    shutil.rmtree(stage, ignore_errors=True)
    names = []
    for seed in range(distinct):
        data = encode(make_picture(seed, (1024, 768)), quality=92)
        for copy in range(copies):
            # A JPEG comment (COM) after SOI: a distinct, still valid file per copy.
            note = f"bench copy {seed}-{copy}".encode()
            unique = data[:2] + b"\xff\xfe" + (len(note) + 2).to_bytes(2, "big") + note + data[2:]
            name = f"DCIM/{seed % 50:03d}/IMG_{seed:04d}_{copy:02d}.jpg"
            (stage / name).parent.mkdir(parents=True, exist_ok=True)
            (stage / name).write_bytes(unique)
            names.append(name)
    partial = image.with_suffix(".part")
    with partial.open("wb") as handle:
        handle.truncate(int(size_gb * 1024**3))
    subprocess.run(["mkfs.vfat", "-F", "32", "-n", "BENCH", str(partial)], check=True,
                   stdout=subprocess.DEVNULL)  # fmt: skip
    subprocess.run(["mcopy", "-s", "-i", str(partial), str(stage / "DCIM"), "::/"], check=True)
    gone = names[:: max(1, len(names) // deleted)][:deleted] if deleted else []
    for start in range(0, len(gone), 200):  # one mdel per 200 names
        batch = [f"::/{n}" for n in gone[start : start + 200]]
        subprocess.run(["mdel", "-i", str(partial), *batch], check=True)
    shutil.rmtree(stage)
    partial.rename(image)
    return image, len(names), len(gone)


def run_vigil(image: Path, workers: int) -> tuple[float, int, int]:
    """Seconds, pictures hashed (PDQ'd), carved items, for one `vigil scan`."""
    db = WORK / f"vigil-{workers}.db"
    db.unlink(missing_ok=True)
    start = time.perf_counter()
    subprocess.run(
        [str(VIGIL), "--db", f"sqlite:///{db}", "scan", str(image), "--case", "bench",
         "--workers", str(workers)],
        check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    elapsed = time.perf_counter() - start
    with sqlite3.connect(db) as conn:
        pictures = conn.execute(
            "select count(*) from item where family = 'image' and pdq is not null"
        ).fetchone()[0]
        carved = conn.execute("select count(*) from item where location = 'carved'").fetchone()[0]
    return elapsed, int(pictures), int(carved)


def run_peer(image: Path) -> tuple[float, int]:
    """Seconds and JPEGs hashed for tsk_recover -e followed by hashdeep."""
    out = WORK / "tsk-out"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    start = time.perf_counter()
    subprocess.run(["tsk_recover", "-e", str(image), str(out)], check=True,
                   stdout=subprocess.DEVNULL)  # fmt: skip
    with (WORK / "hashdeep.txt").open("wb") as listing:
        subprocess.run(["hashdeep", "-r", "-c", "md5,sha1,sha256", str(out)], check=True,
                       stdout=listing)  # fmt: skip
    elapsed = time.perf_counter() - start
    pictures = sum(1 for p in out.rglob("*") if p.suffix.lower() == ".jpg")
    shutil.rmtree(out)
    return elapsed, pictures


def _drop_caches_hint(image: Path) -> None:
    # Warm the page cache the same way for every tool: read the image once.
    with image.open("rb") as handle:
        while handle.read(16 << 20):
            pass


def main() -> int:
    """Build the image if needed, run both tools, print a table with ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-gb", type=float, default=2.0)
    parser.add_argument("--distinct", type=int, default=300)
    parser.add_argument("--copies", type=int, default=10)
    parser.add_argument("--deleted", type=int, default=300)
    args = parser.parse_args()
    for tool in ("mkfs.vfat", "mcopy", "tsk_recover", "hashdeep"):
        if shutil.which(tool) is None:
            print(f"needs {tool}: run `bash scripts/system-deps.sh bench`", file=sys.stderr)
            return 2
    started = time.perf_counter()
    image, written, deleted = build(args.size_gb, args.distinct, args.copies, args.deleted)
    size_mb = image.stat().st_size / 1e6
    built_s = time.perf_counter() - started
    print(f"image {image.name}: {size_mb:,.0f} MB, {written} pictures written, {deleted} deleted "
          f"(built/found in {built_s:.0f} s); {os.cpu_count()} CPUs")  # fmt: skip
    _drop_caches_hint(image)
    rows = []
    peer_s, peer_pics = run_peer(image)
    rows.append(("tsk_recover -e + hashdeep (md5,sha1,sha256)", peer_s, peer_pics, "-"))
    cores = os.cpu_count() or 1
    for workers in sorted({1, cores}):
        seconds, pictures, carved = run_vigil(image, workers)
        rows.append((f"vigil scan --workers {workers} (+PDQ, carving)", seconds, pictures, carved))
    print(f"{'tool':<48} {'s':>7} {'MB/s':>7} {'pictures':>9} {'pics/s':>7} {'carved':>6} "
          f"{'time vs peer':>12}")  # fmt: skip
    for name, seconds, pictures, carved in rows:
        print(f"{name:<48} {seconds:7.1f} {size_mb / seconds:7.1f} {pictures:9d} "
              f"{pictures / seconds:7.1f} {carved!s:>6} {seconds / peer_s:11.2f}x")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
