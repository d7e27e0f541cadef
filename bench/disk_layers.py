"""Benchmark: the cost of a virtual-disk layer (VHD, QCOW2) against reading the raw image.

One run, one file system: the FAT32 image of the disk-image benchmark
(``bench/disk_image.py``'s :func:`build`, benign generated JPEGs, some deleted),
converted once by ``qemu-img`` to a dynamic VHD and to a QCOW2. Then, for each
of raw, VHD and QCOW2:

  * media read   — every byte of the disk's media read in 1 MiB blocks, as the
                   disk layers give it to The Sleuth Kit (a plain read-only file
                   for raw; :class:`vigil.sources.disk.vdisk.VirtualDisk` for the
                   others): the layer alone;
  * vigil scan   — ``vigil scan --workers 1`` of the exhibit: walk, hash, PDQ,
                   carve, store (the whole job; the layer is one part of it).

Reported: seconds, MB/s of media, and each row's ratio to raw. The default image
is under 512 MiB so that the raw image is one scan task like the VM disks (a
bigger raw image is split into parts, which a VM disk is not).

Usage: python bench/disk_layers.py [--size-gb 0.4] [--distinct 200] [--copies 3] [--deleted 60]
Needs mkfs.vfat, mtools, qemu-img (`bash scripts/system-deps.sh bench`, qemu-utils).
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

from disk_image import WORK, build  # bench/ is on the path when run as a script
from vigil.sources.disk.vdisk import VirtualDisk
from vigil.sources.folder import open_readonly

VIGIL = Path(sys.executable).with_name("vigil")
BLOCK = 1 << 20


def convert(raw: Path, fmt: str, suffix: str) -> Path:
    """``raw`` as a ``fmt`` VM disk beside it (made once)."""
    target = raw.with_suffix(suffix)
    if not target.exists():
        part = target.with_name(target.name + ".part")
        subprocess.run(["qemu-img", "convert", "-O", fmt, str(raw), str(part)], check=True)
        part.rename(target)
    return target


def read_media(path: Path, kind: str | None) -> tuple[float, int]:
    """Seconds to read the whole media, and its size."""
    start = time.perf_counter()
    total = 0
    if kind is None:
        with open_readonly(path) as handle:
            while block := handle.read(BLOCK):
                total += len(block)
    else:
        with VirtualDisk.from_path(kind, os.fsencode(path)) as disk:
            while block := disk.read(BLOCK):
                total += len(block)
    return time.perf_counter() - start, total


def run_vigil(path: Path, tag: str) -> tuple[float, int]:
    """Seconds and pictures PDQ-hashed for one ``vigil scan --workers 1``."""
    db = WORK / f"layers-{tag}.db"
    db.unlink(missing_ok=True)
    start = time.perf_counter()
    subprocess.run(
        [str(VIGIL), "--db", f"sqlite:///{db}", "scan", str(path), "--case", "bench",
         "--workers", "1"],
        check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    elapsed = time.perf_counter() - start
    with sqlite3.connect(db) as conn:
        pictures = conn.execute(
            "select count(*) from item where family = 'image' and pdq is not null"
        ).fetchone()[0]
    return elapsed, int(pictures)


def main() -> int:
    """Build the disks if needed, read and scan each, print a table with ratios to raw."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-gb", type=float, default=0.4)
    parser.add_argument("--distinct", type=int, default=200)
    parser.add_argument("--copies", type=int, default=3)
    parser.add_argument("--deleted", type=int, default=60)
    parser.add_argument("--no-scan", action="store_true", help="media reads only")
    args = parser.parse_args()
    for tool in ("mkfs.vfat", "mcopy", "qemu-img"):
        if shutil.which(tool) is None:
            print(f"needs {tool}: run `bash scripts/system-deps.sh bench`", file=sys.stderr)
            return 2
    raw, written, deleted = build(args.size_gb, args.distinct, args.copies, args.deleted)
    disks = [
        ("raw", raw, None),
        ("VHD (dynamic)", convert(raw, "vpc", ".vhd"), "vhd"),
        ("QCOW2", convert(raw, "qcow2", ".qcow2"), "qcow"),
    ]
    print(f"{raw.name}: {raw.stat().st_size / 1e6:,.0f} MB raw, {written} pictures, "
          f"{deleted} deleted; {os.cpu_count()} CPUs")  # fmt: skip
    rows = []
    for name, path, kind in disks:
        read_media(path, kind)  # warm the page cache the same way for each
        read_s, size = read_media(path, kind)
        scan = None if args.no_scan else run_vigil(path, name.split()[0].lower())
        rows.append((name, path.stat().st_size, read_s, size, scan))
    base_read = rows[0][2]
    base_scan = rows[0][4][0] if rows[0][4] else None
    print(f"{'disk':<14} {'file MB':>8} {'read s':>7} {'MB/s':>7} {'vs raw':>7} "
          f"{'scan s':>7} {'pictures':>8} {'vs raw':>7}")  # fmt: skip
    for name, file_size, read_s, size, scan in rows:
        line = (f"{name:<14} {file_size / 1e6:8.0f} {read_s:7.2f} {size / 1e6 / read_s:7.0f} "
                f"{read_s / base_read:6.2f}x")  # fmt: skip
        if scan is not None and base_scan:
            line += f" {scan[0]:7.1f} {scan[1]:8d} {scan[0] / base_scan:6.2f}x"
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
