"""Parts, keys, probe masks and the radius allocation that the exactness proof rests on."""

from __future__ import annotations

import numpy as np
import pytest

from vigil.matching.pdq_plan import (
    MAX_PART_BITS,
    Part,
    allocate_radii,
    ball_size,
    bit_frequencies,
    choose_parts,
    flip_masks,
    part_keys,
    part_load,
    split_bits,
)
from vigil.matching.synthetic import random_hashes


@pytest.mark.parametrize("count", [8, 11, 12, 16, 23, 32])
def test_split_bits_covers_every_bit_once(count: int) -> None:
    parts = split_bits(count)
    covered = [bit for p in parts for bit in range(p.start, p.start + p.width)]
    assert covered == list(range(256))
    assert max(p.width for p in parts) - min(p.width for p in parts) <= 1


@pytest.mark.parametrize(("width", "radius"), [(8, 0), (8, 1), (16, 1), (23, 2), (10, 10), (6, 9)])
def test_flip_masks_is_the_whole_ball(width: int, radius: int) -> None:
    masks = flip_masks(width, radius)
    assert len(masks) == len(set(masks.tolist())) == ball_size(width, radius)
    assert masks[0] == 0
    assert np.all(np.bitwise_count(masks) <= radius)
    assert np.all((masks >= 0) & (masks < 1 << width))


@pytest.mark.parametrize(
    "part", [Part(0, 24), Part(24, 23), Part(3, 9), Part(233, 23), Part(250, 6)]
)
def test_part_keys_reads_the_right_bits(part: Part, rng: np.random.Generator) -> None:
    hashes = random_hashes(200, rng)
    bits = np.unpackbits(hashes, axis=1)[:, part.start : part.start + part.width]
    expected = bits.astype(np.int64) @ (1 << np.arange(part.width - 1, -1, -1, dtype=np.int64))
    assert np.array_equal(part_keys(hashes, part), expected)


@pytest.mark.parametrize("threshold", [0, 1, 15, 31, 32, 63, 100])
@pytest.mark.parametrize("count", [8, 11, 16, 32])
def test_radii_satisfy_the_pigeonhole_bound(threshold: int, count: int) -> None:
    widths = [p.width for p in split_bits(count)]
    radii = allocate_radii(widths, [1.0] * count, threshold)
    assert sum(t + 1 for t in radii) == threshold + 1
    assert all(-1 <= t <= w for t, w in zip(radii, widths, strict=True))


def test_crowded_parts_are_probed_less() -> None:
    widths = [p.width for p in split_bits(11)]
    loads = [1.0] * 11
    loads[4] = 500.0  # a part whose keys crowd into few buckets
    radii = allocate_radii(widths, loads, 31)
    assert radii[4] < min(r for i, r in enumerate(radii) if i != 4)


@pytest.mark.parametrize("rows", [0, 10, 1000, 50_000, 10_000_000, 100_000_000])
def test_choose_parts_keeps_tables_small(rows: int) -> None:
    parts = choose_parts(rows)
    widest = max(p.width for p in parts)
    assert widest <= MAX_PART_BITS
    assert len(parts) == 32 or (1 << widest) <= 2 * rows
    assert sum(p.width for p in parts) == 256


def test_ten_million_hashes_get_eleven_parts() -> None:
    # The configuration the benchmark in bench/README.md measured.
    assert [p.width for p in choose_parts(10_000_000)] == [24, 24, 24] + [23] * 8


def test_leaning_bits_raise_the_load(rng: np.random.Generator) -> None:
    hashes = random_hashes(20_000, rng)
    hashes[:, :3] &= rng.integers(
        0, 256, (20_000, 3), dtype=np.uint8
    )  # bits 0-23 set 25% of the time
    freq = bit_frequencies(hashes)
    assert np.allclose(freq[:24], 0.25, atol=0.02) and np.allclose(freq[24:], 0.5, atol=0.02)
    lean, fair = part_load(20_000, Part(0, 24), freq), part_load(20_000, Part(24, 24), freq)
    assert fair == pytest.approx(20_000 / 2**24, rel=0.1)
    assert lean > 100 * fair  # (0.25² + 0.75²)^24 = 0.625^24 vs 0.5^24
