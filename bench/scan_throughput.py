"""Benchmark: pictures per second through `vigil scan` against a competent baseline and peers.

All in one run, on the same folder of real pictures (Debian's public-domain
gnome-backgrounds wallpapers, their JPEG re-encodes at camera and web sizes,
and the 12-megapixel camera photos of the PDQ conformance set):

  * vigil scan            — the full scan (walk, 3 crypto hashes, sniff, JPEG
                            draft decode to ≥ 1024 px with a phase probe that
                            falls back to a full decode, EXIF upright, PDQ with
                            8 variants, match, store), all cores and one core;
  * competent loop        — THE BASELINE: what a competent engineer writes for the
                            same hashes. Read each file once; hashlib MD5+SHA-1+
                            SHA-256; Pillow with the same draft setting as Vigil
                            (JPEG decoded at 1/2-1/8 scale keeping each side
                            ≥ 1024 px); the reference's pre-resize to 512×512;
                            EXIF upright; pdqhash's 8 dihedral hashes. No type
                            sniffing, no archives, no matching, no database, no
                            drift guard. One process, and the same loop over a
                            multiprocessing.Pool of all cores;
  * full-decode loop      — the same loop without draft decoding (every pixel
                            decoded) and without the pre-resize, pdqhash on the
                            full-size pixels, one hash: what the numbers were
                            once compared with; shown for reference only;
  * threatexchange        — `threatexchange hash photo FILE…` (Meta's pytx CLI:
                            PDQ only, no crypto hashes, full decode);
  * perception            — perception's PDQHash hasher, one file at a time
                            (PDQ only, full decode).

Ratios are against the competent loop in one process; compare `vigil scan`
on N workers with the competent loop on N processes.

Peers are installed into bench/work/peers-venv on first use (pip). Each tool
runs in its own process after the files have been read once to warm the page
cache; times include start-up, which is what an examiner waits for.

Usage: python bench/scan_throughput.py [--copies 4] [--jpeg-only] [--skip-peers]
       [--skip-full-decode]
(--jpeg-only leaves out the 4096² WebP wallpapers: a camera-roll-like folder;
--times N scans N hard-linked copies of each picture, an exhibit N times larger,
where start-up (about 1 s for `vigil scan`) weighs less.)
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

from PIL import Image

from pdq_drift import CONFORMANCE, PHOTOS, fetch_photos

HERE = Path(__file__).resolve().parent
WORK = HERE / "work"
FOLDER = WORK / "scan-photos"
JPEG_FOLDER = WORK / "scan-photos-jpeg"
PEERS = WORK / "peers-venv"
BASELINE = "competent loop, draft decode (1 process): the baseline"
SIZES = ((4000, 92), (1920, 85), (3000, 90), (1280, 85))
"""Re-encodes per source picture: camera, web and phone-screen sizes."""

COMPETENT = r"""
import hashlib, io, os, sys
from multiprocessing import Pool
from pathlib import Path
import numpy as np, pdqhash
from PIL import Image, ImageOps

def hash_one(path):
    data = Path(path).read_bytes()
    digests = [h(data).hexdigest() for h in (hashlib.md5, hashlib.sha1, hashlib.sha256)]
    with Image.open(io.BytesIO(data)) as im:
        im.draft("RGB", (1024, 1024))  # as Vigil: libjpeg decodes small, each side >= 1024
        small = im.convert("RGB").resize((512, 512))  # the reference's pre-resize
        small = ImageOps.exif_transpose(small)
    return digests, pdqhash.compute_dihedral(np.asarray(small))

if __name__ == "__main__":
    paths = [str(p) for p in sorted(Path(sys.argv[1]).rglob("*")) if p.is_file()]
    processes = int(sys.argv[2])
    if processes == 1:
        results = [hash_one(p) for p in paths]
    else:
        with Pool(processes) as pool:
            results = pool.map(hash_one, paths, chunksize=1)
    assert len(results) == len(paths)
"""

FULL_DECODE = r"""
import hashlib, sys, time
from pathlib import Path
import numpy as np, pdqhash
from PIL import Image
paths = [p for p in sorted(Path(sys.argv[1]).rglob("*")) if p.is_file()]
for p in paths:
    data = p.read_bytes()
    for h in (hashlib.md5, hashlib.sha1, hashlib.sha256):
        h(data).hexdigest()
    with Image.open(p) as im:
        pixels = np.asarray(im.convert("RGB"))
    pdqhash.compute(pixels)
"""

PERCEPTION = r"""
import sys
from pathlib import Path
from perception import hashers
hasher = hashers.PDQHash()
for p in sorted(Path(sys.argv[1]).rglob("*")):
    if p.is_file():
        hasher.compute(str(p))
"""


def build_folder(copies: int, jpeg_only: bool) -> list[Path]:
    """Fill bench/work/scan-photos once; returns the picture files."""
    if FOLDER.exists() and any(FOLDER.iterdir()):
        return _pictures(jpeg_only)
    fetch_photos()
    FOLDER.mkdir(parents=True)
    sources = [
        p
        for p in sorted((PHOTOS / "usr/share/backgrounds").rglob("*"))
        if p.suffix.lower() in (".jpg", ".jpeg", ".png", ".webp")
    ]
    sources += sorted((CONFORMANCE / "reg-test-input/exif-rotn").glob("*.jpg"))
    sources += sorted((CONFORMANCE / "reg-test-input/labelme-subset").glob("*.jpg"))
    for src in sources:
        with Image.open(src) as opened:
            if min(opened.size) < 300:
                continue
            shutil.copy(src, FOLDER / src.name)
            image = opened.convert("RGB")
        for long_side, quality in SIZES[:copies]:
            if long_side >= max(image.size):  # re-encodes only shrink
                continue
            ratio = long_side / max(image.size)
            resized = image.resize((round(image.size[0] * ratio), round(image.size[1] * ratio)))
            buffer = io.BytesIO()
            resized.save(buffer, "JPEG", quality=quality)
            (FOLDER / f"{src.stem}-{long_side}.jpg").write_bytes(buffer.getvalue())
    return _pictures(jpeg_only)


def _pictures(jpeg_only: bool) -> list[Path]:
    """The pictures to time: all of FOLDER, or a copy of its JPEGs alone."""
    files = sorted(p for p in FOLDER.rglob("*") if p.is_file())
    if not jpeg_only:
        return files
    JPEG_FOLDER.mkdir(exist_ok=True)
    for path in files:
        if path.suffix.lower() in (".jpg", ".jpeg") and not (JPEG_FOLDER / path.name).exists():
            shutil.copy(path, JPEG_FOLDER / path.name)
    return sorted(JPEG_FOLDER.iterdir())


def enlarge(files: list[Path], times: int) -> list[Path]:
    """``times`` hard links of every picture in a folder of their own (1: the files as they are)."""
    if times == 1:
        return files
    target = WORK / f"{files[0].parent.name}-x{times}"
    target.mkdir(exist_ok=True)
    for path in files:
        for copy in range(times):
            link = target / f"{copy:03d}-{path.name}"
            if not link.exists():
                os.link(path, link)
    return sorted(target.iterdir())


def ensure_peers() -> bool:
    """A venv with threatexchange and perception; False when pip cannot provide them."""
    if (PEERS / "bin/threatexchange").exists():
        return True
    subprocess.run([sys.executable, "-m", "venv", str(PEERS)], check=True)
    done = subprocess.run(
        [str(PEERS / "bin/pip"), "install", "-q", "threatexchange", "perception"],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.returncode == 0


class Timing(NamedTuple):
    """What one command cost."""

    wall_s: float
    cpu_s: float
    """User + system CPU of the command and every process it waited for (its workers):
    less sensitive than wall time to other work on a shared machine."""


class Rows(dict[str, Timing]):
    """Timings per row, each also printed to stderr as it is measured (runs take minutes)."""

    def __setitem__(self, name: str, timing: Timing) -> None:
        print(
            f"{name}: {timing.wall_s:.1f} s, CPU {timing.cpu_s:.1f} s", file=sys.stderr, flush=True
        )
        super().__setitem__(name, timing)


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(argv: list[str], env: dict[str, str] | None = None) -> Timing:
    """Wall and CPU seconds of a command that must succeed."""
    cpu = _children_cpu_s()
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{argv[:3]} failed: {done.stderr[-1500:]}")
    return Timing(elapsed, _children_cpu_s() - cpu)


def vigil_scan(folder: Path, workers: int) -> Timing:
    with tempfile.TemporaryDirectory(dir=WORK) as home:
        env = dict(os.environ, VIGIL_HOME=home)
        env.pop("VIGIL_DATABASE_URL", None)
        argv = [sys.executable, "-m", "vigil", "scan", str(folder), "--case", "bench"]
        return timed([*argv, "--workers", str(workers)], env)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--copies", type=int, default=4, help="re-encodes per picture (0-4)")
    parser.add_argument("--skip-peers", action="store_true")
    parser.add_argument("--jpeg-only", action="store_true")
    parser.add_argument(
        "--skip-full-decode", action="store_true", help="leave out the reference-only row"
    )
    parser.add_argument("--times", type=int, default=1, help="copies of the folder to scan")
    args = parser.parse_args()
    files = enlarge(build_folder(args.copies, args.jpeg_only), args.times)
    folder = files[0].parent
    total_mb = sum(p.stat().st_size for p in files) / 1e6
    for p in files:  # warm the page cache for everyone alike
        p.read_bytes()
    print(f"{len(files)} pictures, {total_mb:,.0f} MB, in {folder}; {os.cpu_count()} cores")
    cores = os.cpu_count() or 1
    competent = [sys.executable, "-c", COMPETENT, str(folder)]
    rows = Rows()
    rows[BASELINE] = timed([*competent, "1"])
    rows[f"competent loop, draft decode ({cores} processes)"] = timed([*competent, str(cores)])
    if not args.skip_full_decode:
        rows["full-decode loop, no draft (1 process, reference only)"] = timed(
            [sys.executable, "-c", FULL_DECODE, str(folder)]
        )
    rows[f"vigil scan, draft decode ({cores} workers)"] = vigil_scan(folder, cores)
    rows["vigil scan, draft decode (1 worker)"] = vigil_scan(folder, 1)
    if not args.skip_peers and ensure_peers():
        rows["threatexchange hash photo (full decode, PDQ only)"] = timed(
            [str(PEERS / "bin/threatexchange"), "hash", "photo", *map(str, files)]
        )
        rows["perception PDQHash (full decode, PDQ only)"] = timed(
            [str(PEERS / "bin/python"), "-c", PERCEPTION, str(folder)]
        )
    base = rows[BASELINE]
    print(
        "\n| tool | seconds | pictures/s | × competent loop (1 process) "
        "| CPU s | CPU × competent loop |"
    )
    print("|---|---|---|---|---|---|")
    for name, t in rows.items():
        print(
            f"| {name} | {t.wall_s:.1f} | {len(files) / t.wall_s:.1f} "
            f"| {base.wall_s / t.wall_s:.2f} | {t.cpu_s:.1f} | {base.cpu_s / t.cpu_s:.2f} |"
        )


if __name__ == "__main__":
    main()
