"""Review app: grouping the grading queue, and making thumbnails, compared with baselines.

    python bench/review_bench.py [--pictures 1000,5000,10000] [--repeats 9]

Grouping (single linkage, 31 bits): Vigil's ``group_pictures`` (all against
all below 3,000 pictures, the PDQ multi-index-hashing index above) vs a naive
pure-Python pairwise loop doing the same comparisons (each picture's 8 stored
rotations and flips against every other picture's hash), run on the smallest
size only and extrapolated as n²; both must find the same number of groups.

Thumbnails of one JPEG at 0.3 MP and 12 MP, each a blurred 160 px greyscale JPEG:
  * vigil — ``picture_thumbnail``: draft decode straight to greyscale at ≥ 2× the
    size, EXIF orientation applied, thumbnail, blur, encode;
  * competent Pillow (the baseline) — ``Image.open`` then ``thumbnail()`` on the
    opened JPEG, so Pillow's own draft decoding applies (in colour), then
    ``exif_transpose``, ``convert("L")``, blur, encode;
  * Pillow ``draft("L")`` by hand — Vigil's recipe written inline (draft straight
    to greyscale at 2× the size, then the same steps): the best plain Pillow
    does; Vigil should not beat it, only match it;
  * full decode (for reference, not a fair baseline) — ``convert("L")`` before
    ``thumbnail()``: converting first decodes every pixel, which disables draft
    decoding.
"""

from __future__ import annotations

import argparse
import io
import random
import statistics
import time

import numpy as np
from PIL import Image, ImageFilter, ImageOps

from vigil.demo.imagegen import encode, make_picture
from vigil.web.grouping import PairCache, Picture, group_pictures
from vigil.web.thumbnails import picture_thumbnail


def synthetic(n: int, seed: int = 1) -> list[Picture]:
    """``n`` pictures: random PDQ hashes, a quarter of them near copies (≤ 20 bits) of others,
    each with its 8 dihedral variants as a scan stores them."""
    rng = np.random.default_rng(seed)
    bits = rng.integers(0, 256, size=(n, 32), dtype=np.uint8)
    for i in range(0, n, 4):
        j = (i + 1) % n
        bits[j] = bits[i]
        for bit in rng.choice(256, size=20, replace=False):
            bits[j, bit // 8] ^= 1 << (bit % 8)
    # The 8 rotations and flips a scan stores: the hash itself, then 7 unrelated hashes
    # (a picture's rotations are far from it), all queried when grouping.
    others = rng.integers(0, 256, size=(n, 7 * 32), dtype=np.uint8)
    return [
        Picture(
            f"{i:032x}",
            [i],
            "image",
            f"{i}.jpg",
            bits[i].tobytes(),
            100,
            bits[i].tobytes() + others[i].tobytes(),
        )
        for i in range(n)
    ]


def naive_groups(pictures: list[Picture], threshold: int = 31) -> int:
    """Pairwise Python loop with int.bit_count: the obvious way, for comparison.

    Same work as Vigil: each of a picture's 8 stored variants is compared with
    every other picture's hash, so a rotated or mirrored copy joins its original.
    """
    values = [int.from_bytes(p.pdq or b"", "big") for p in pictures]
    variants = [
        [int.from_bytes(v[k : k + 32], "big") for k in range(0, len(v), 32)]
        for v in (p.pdq_variants or p.pdq or b"" for p in pictures)
    ]
    parent = list(range(len(values)))

    def find(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    for i, own in enumerate(variants):
        for j, other in enumerate(values):
            if j != i and any((v ^ other).bit_count() <= threshold for v in own):
                parent[find(j)] = find(i)
    return len({find(i) for i in range(len(values))})


def timed(fn: object, *args: object, repeat: int = 1) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn(*args)  # type: ignore[operator]
        best = min(best, time.perf_counter() - start)
    return best


def bench_grouping(sizes: list[int]) -> None:
    print("## Grouping the queue (PDQ single linkage, 31 bits)")
    small = min(sizes)
    naive_small = timed(naive_groups, synthetic(small))
    naive_count = naive_groups(synthetic(small))
    if naive_count != len(group_pictures(synthetic(small), 31)):
        raise SystemExit(f"naive loop found {naive_count} groups, vigil a different number")
    for n in sizes:
        pictures = synthetic(n)
        vigil_s = timed(group_pictures, pictures, 31)
        groups = len(group_pictures(pictures, 31))
        naive_s = naive_small * (n / small) ** 2
        note = "measured" if n == small else "extrapolated n²"
        # After a grade: the queue lost a group; the cached pairs regroup what is left.
        cache = PairCache()
        cache.pairs(1, pictures, 31)
        rest = pictures[2:]
        again_s = timed(regroup, cache, rest)
        print(
            f"{n:>6} pictures → {groups} groups: vigil {vigil_s:.3f} s "
            f"(then {again_s * 1000:.0f} ms per grade, cached pairs), "
            f"naive Python {naive_s:.2f} s ({note}), naive/vigil {naive_s / vigil_s:.2f}×"
        )


def regroup(cache: PairCache, rest: list[Picture]) -> None:
    """What a queue request costs once the case's pairs are cached."""
    group_pictures(rest, 31, cache.pairs(1, rest, 31))


def _blurred_jpeg(image: Image.Image) -> bytes:
    image = image.filter(ImageFilter.GaussianBlur(10))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


def competent_thumbnail(data: bytes, size: int) -> bytes:
    """What a competent engineer writes: ``thumbnail()`` on the opened JPEG (Pillow drafts)."""
    image = Image.open(io.BytesIO(data))
    image.thumbnail((size, size))
    return _blurred_jpeg(ImageOps.exif_transpose(image).convert("L"))


def grey_draft_thumbnail(data: bytes, size: int) -> bytes:
    """The best plain Pillow does: ``draft("L")`` has libjpeg decode small and grey at once."""
    opened = Image.open(io.BytesIO(data))
    opened.draft("L", (size * 2, size * 2))
    image = ImageOps.exif_transpose(opened).convert("L")
    image.thumbnail((size, size))
    return _blurred_jpeg(image)


def full_decode_thumbnail(data: bytes, size: int) -> bytes:
    """Greyscale first: ``convert`` decodes every pixel, so no draft decoding happens."""
    image = Image.open(io.BytesIO(data)).convert("L")
    image.thumbnail((size, size))
    return _blurred_jpeg(image)


def vigil_thumbnail(data: bytes, size: int) -> bytes:
    """Vigil's own thumbnail, blurred as every page shows it."""
    return picture_thumbnail(io.BytesIO(data), size, 10.0)


THUMBNAILERS = {
    "vigil picture_thumbnail": vigil_thumbnail,
    "competent Pillow (baseline)": competent_thumbnail,
    "Pillow draft('L') by hand": grey_draft_thumbnail,
    "full decode (convert first)": full_decode_thumbnail,
}


def bench_thumbnails(repeats: int) -> None:
    print(f"## Blurred thumbnail of one JPEG (160 px), median of {repeats}")
    for label, size in (("0.3 MP", (640, 480)), ("12 MP", (4000, 3000))):
        data = encode(make_picture(random.Random(size[0]).randrange(10**6), size))
        medians: dict[str, list[float]] = {}
        for _ in range(repeats):  # interleaved, so load changes hit every row alike
            for name, fn in THUMBNAILERS.items():
                medians.setdefault(name, []).append(timed(fn, data, 160))
        base = statistics.median(medians["competent Pillow (baseline)"])
        for name, times in medians.items():
            ms = statistics.median(times) * 1000
            print(f"{label:>7} {name:<30} {ms:7.1f} ms  baseline/this {base * 1000 / ms:5.2f}×")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pictures", default="1000,5000,10000")
    parser.add_argument("--repeats", type=int, default=9, help="thumbnail timings per row")
    args = parser.parse_args()
    bench_grouping([int(n) for n in args.pictures.split(",")])
    bench_thumbnails(args.repeats)


if __name__ == "__main__":
    main()
