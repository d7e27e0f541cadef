"""Benchmark: how far fast (draft) JPEG decoding moves PDQ hashes, and how much time it saves.

Every image is hashed twice in the same run with ``vigil.hashing.pdq.hash_image``:
``fast=False`` (full decode, the reference pipeline) and ``fast=True`` (libjpeg
decodes at 1/2, 1/4 or 1/8 scale while each side stays ≥ FAST_DECODE_MIN_SIDE).
Drift = Hamming distance between the two hashes, reported for images whose
full-decode quality is ≥ 80 (the range where Meta's reference promises ≤ 10 bits).

Images (all benign):
  * the public-domain wallpapers of Debian's ``gnome-backgrounds`` package
    (fetched with ``apt-get download`` + ``dpkg -x`` into bench/work/photos);
  * the photos among the PDQ conformance images (../shared/conformance/pdq),
    including four 12-megapixel camera JPEGs;
  * JPEG re-encodes (quality 90) of each at several long sides, chosen so that
    draft scales 1, 2, 4 and 8 all occur.

Usage: python bench/pdq_drift.py [--sizes 8192,6000,4000,3000,2000,1200]
                                 [--min-side 1024 | --sweep 512,1024,2048]
                                 [--phase-bits 20 (256 = no full-decode fallback)]
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from vigil.hashing import pdq

HERE = Path(__file__).resolve().parent
WORK = HERE / "work"
PHOTOS = WORK / "photos"
DERIVED = WORK / "pdq-drift-jpeg"
CONFORMANCE = (
    Path(os.environ.get("VIGIL_CONFORMANCE_DIR") or HERE.parent.parent / "shared/conformance/pdq")
    / "images"
)
QUALITY_FLOOR = 80
MIN_SOURCE_SIDE = 900  # smaller sources would only be upscaled


@dataclass
class Sample:
    """One image of the benchmark: where it came from and its encoded bytes."""

    name: str
    kind: str
    data: bytes


@dataclass
class Outcome:
    """Both hashes of one image and what each cost."""

    name: str
    kind: str
    scale: int
    """Draft scale the size allows under the rule (grouping key)."""
    fell_back: bool
    """The phase probe sent this image to a full decode."""
    quality: int
    drift_bits: int
    full_s: float
    fast_s: float


def fetch_photos() -> None:
    """Unpack gnome-backgrounds into bench/work/photos unless already there."""
    if any(PHOTOS.rglob("*.*")):
        return
    if shutil.which("apt-get") is None or shutil.which("dpkg") is None:
        print("apt-get/dpkg not found: using the conformance photos only", file=sys.stderr)
        return
    PHOTOS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            ["apt-get", "download", "gnome-backgrounds"],
            cwd=tmp,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        debs = sorted(Path(tmp).glob("gnome-backgrounds_*.deb"))
        if not debs:
            raise SystemExit("apt-get download gnome-backgrounds produced no .deb")
        subprocess.run(["dpkg", "-x", str(debs[-1]), str(PHOTOS)], check=True)


def source_images() -> list[Path]:
    """Every raster image Pillow can open among the wallpapers and conformance photos."""
    candidates = sorted((PHOTOS / "usr" / "share" / "backgrounds").rglob("*"))
    if CONFORMANCE.is_dir():
        candidates += sorted((CONFORMANCE / "reg-test-input" / "exif-rotn").glob("*.jpg"))
        candidates += [
            CONFORMANCE / "bridge-mods" / "aaa-orig.jpg",
            CONFORMANCE / "reg-test-input" / "pen-and-coaster.png",
            CONFORMANCE / "misc-images" / "c.png",
        ]
    sources = []
    for path in candidates:
        if not path.is_file():
            continue
        try:
            with Image.open(path) as im:
                if min(im.size) >= MIN_SOURCE_SIDE:
                    sources.append(path)
        except OSError:
            continue  # SVG, XML slideshow files, …
    return sources


def derived_jpegs(sources: Iterable[Path], sizes: list[int]) -> list[Sample]:
    """The originals that are JPEGs, plus quality-90 re-encodes at each long side (cached)."""
    DERIVED.mkdir(parents=True, exist_ok=True)
    samples = []
    for path in sources:
        kind = "photos" if CONFORMANCE in path.parents else "wallpapers"
        if path.suffix.lower() in (".jpg", ".jpeg"):
            samples.append(Sample(f"{path.name} (original)", kind, path.read_bytes()))
        image: Image.Image | None = None
        for long_side in sizes:
            out = DERIVED / f"{path.stem}-{long_side}.jpg"
            if not out.exists():
                if image is None:
                    with Image.open(path) as opened:
                        image = opened.convert("RGB")
                ratio = long_side / max(image.size)
                size = (round(image.size[0] * ratio), round(image.size[1] * ratio))
                resized = image.resize(size, Image.Resampling.LANCZOS)
                buffer = io.BytesIO()
                resized.save(buffer, "JPEG", quality=90)
                out.write_bytes(buffer.getvalue())
            samples.append(Sample(f"{path.name} @{long_side}", kind, out.read_bytes()))
    return samples


def planned_scale(width: int, height: int) -> int:
    """The draft scale Pillow picks for this size under the current rule (as pdq does)."""
    ratio = min(width, height) // pdq.FAST_DECODE_MIN_SIDE
    return next((s for s in (8, 4, 2) if ratio >= s), 1)


def measure(samples: list[Sample]) -> list[Outcome]:
    """Hash each sample full and fast, alternating so that caches favour neither."""
    outcomes = []
    for sample in samples:
        start = time.perf_counter()
        full = pdq.hash_image(sample.data, fast=False)
        full_s = time.perf_counter() - start
        start = time.perf_counter()
        fast = pdq.hash_image(sample.data, fast=True)
        fast_s = time.perf_counter() - start
        planned = planned_scale(full.width, full.height)
        outcomes.append(
            Outcome(
                sample.name,
                sample.kind,
                planned,
                planned > 1 and fast.decode_scale == 1,
                full.quality,
                pdq.hamming(full.hash, fast.hash),
                full_s,
                fast_s,
            )
        )
    return outcomes


def table(outcomes: list[Outcome], min_side: int, phase_bits: int) -> str:
    """Markdown table: drift percentiles and speed, per draft scale and overall."""
    groups: list[tuple[str, list[Outcome]]] = [
        (f"{s}", [o for o in outcomes if o.scale == s]) for s in sorted({o.scale for o in outcomes})
    ]
    for kind in ("wallpapers", "photos"):
        groups.append((f"{kind}, 2–8", [o for o in outcomes if o.kind == kind and o.scale > 1]))
    groups.append(("2–8 (draftable)", [o for o in outcomes if o.scale > 1]))
    groups.append(("all", outcomes))
    lines = [
        f"Draft rule: every side ≥ {min_side} px after reduction; full decode kept when a"
        f" half-cell grid shift moves the draft hash > {phase_bits} bits.",
        "",
        "| draft scale | n | n (q≥80) | full decode kept | median | p95 | p99 | max"
        " | full ms | fast ms | speed-up |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for label, group in groups:
        if not group:
            continue
        drift = np.array([o.drift_bits for o in group if o.quality >= QUALITY_FLOOR])
        full_s = sum(o.full_s for o in group)
        fast_s = sum(o.fast_s for o in group)
        stats = (
            [f"{np.percentile(drift, p):.1f}" for p in (50, 95, 99)] + [str(int(drift.max()))]
            if drift.size
            else ["–"] * 4
        )
        lines.append(
            f"| {label} | {len(group)} | {drift.size} | {sum(o.fell_back for o in group)} | "
            + " | ".join(stats)
            + f" | {1000 * full_s / len(group):.0f} | {1000 * fast_s / len(group):.0f}"
            f" | {full_s / fast_s:.2f}× |"
        )
    return "\n".join(lines)


def worst(outcomes: list[Outcome], count: int = 8) -> str:
    """The images that drifted most, to see what kind of content they are."""
    ranked = sorted(
        (o for o in outcomes if o.quality >= QUALITY_FLOOR), key=lambda o: -o.drift_bits
    )
    rows = [
        f"  {o.drift_bits:3d} bits  scale {o.scale}{' (full decode kept)' if o.fell_back else ''}"
        f"  {o.name}"
        for o in ranked[:count]
    ]
    return "Largest drift (q≥80):\n" + "\n".join(rows)


def main() -> None:
    """Fetch, encode, measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="8192,6000,4000,3000,2000,1200")
    parser.add_argument("--min-side", type=int, default=pdq.FAST_DECODE_MIN_SIDE)
    parser.add_argument(
        "--phase-bits",
        type=int,
        default=pdq.FAST_DECODE_MAX_PHASE_BITS,
        help="phase-probe threshold; 256 turns the full-decode fallback off",
    )
    parser.add_argument("--sweep", default="", help="comma-separated min sides to compare")
    args = parser.parse_args()

    fetch_photos()
    sources = source_images()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    samples = derived_jpegs(sources, sizes)
    print(f"{len(sources)} source images, {len(samples)} JPEGs hashed (cpu count {os.cpu_count()})")
    print("decoders:", ", ".join(f"{k} {v}" for k, v in pdq.decoder_versions().items()))
    rules = [int(s) for s in args.sweep.split(",") if s] or [args.min_side]
    for min_side in rules:
        # The module reads both on every call.
        pdq.FAST_DECODE_MIN_SIDE = min_side
        pdq.FAST_DECODE_MAX_PHASE_BITS = args.phase_bits
        outcomes = measure(samples)
        print()
        print(table(outcomes, min_side, args.phase_bits))
        print()
        print(worst(outcomes))


if __name__ == "__main__":
    main()
