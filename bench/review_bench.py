"""Review app: grouping the grading queue, and making thumbnails, compared with baselines.

    python bench/review_bench.py [--pictures 1000,5000,10000]

Grouping: Vigil's chunked numpy distance matrix (single linkage, 31 bits) vs a
naive pure-Python pairwise loop (run on the smallest size only, extrapolated).
Thumbnails: a blurred greyscale thumbnail via JPEG draft decoding vs a full
decode of the same JPEG (what a naive ``Image.open().thumbnail()`` would do
without draft), at 0.3 MP and 12 MP.
"""

from __future__ import annotations

import argparse
import io
import random
import statistics
import time

import numpy as np
from PIL import Image, ImageFilter

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
    """Pairwise Python loop with int.bit_count: the obvious way, for comparison."""
    values = [int.from_bytes(p.pdq or b"", "big") for p in pictures]
    parent = list(range(len(values)))

    def find(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    for i in range(len(values)):
        for j in range(i + 1, len(values)):
            if (values[i] ^ values[j]).bit_count() <= threshold:
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
            f"naive Python {naive_s:.2f} s ({note}), ratio {naive_s / vigil_s:.0f}×"
        )


def regroup(cache: PairCache, rest: list[Picture]) -> None:
    """What a queue request costs once the case's pairs are cached."""
    group_pictures(rest, 31, cache.pairs(1, rest, 31))


def full_decode_thumbnail(data: bytes, size: int) -> bytes:
    image = Image.open(io.BytesIO(data)).convert("L")
    image.thumbnail((size, size))
    image = image.filter(ImageFilter.GaussianBlur(10))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


def bench_thumbnails() -> None:
    print("## Blurred thumbnail of one JPEG (160 px)")
    for label, size in (("0.3 MP", (640, 480)), ("12 MP", (4000, 3000))):
        data = encode(make_picture(random.Random(size[0]).randrange(10**6), size))
        ours = [timed(picture_thumbnail, io.BytesIO(data), 160, 10.0) for _ in range(5)]
        naive = [timed(full_decode_thumbnail, data, 160) for _ in range(5)]
        ours_ms, naive_ms = statistics.median(ours) * 1000, statistics.median(naive) * 1000
        print(
            f"{label:>7}: vigil (draft decode) {ours_ms:.1f} ms, full decode {naive_ms:.1f} ms, "
            f"ratio {naive_ms / ours_ms:.1f}×"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pictures", default="1000,5000,10000")
    args = parser.parse_args()
    bench_grouping([int(n) for n in args.pictures.split(",")])
    bench_thumbnails()


if __name__ == "__main__":
    main()
