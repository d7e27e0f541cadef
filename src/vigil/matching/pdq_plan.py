"""How the PDQ index cuts a 256-bit hash into parts, and how far it probes each part.

Multi-index hashing (Norouzi, Punjani & Fleet, 2014), with the generalised
pigeonhole bound of Qin et al. (2018) so that each part can get its own radius.

**Why the search is exact.** Cut the bit positions into disjoint parts
``P_1 … P_m`` and give part ``i`` a radius ``t_i ≥ -1`` such that
``Σ (t_i + 1) ≥ r + 1``. For a query ``q`` and an indexed hash ``x`` write
``d_i`` for the number of differing bits inside ``P_i``; the parts are
disjoint, so ``d(q, x) ≥ Σ d_i``. If ``d_i ≥ t_i + 1`` held for every part,
then ``d(q, x) ≥ Σ (t_i + 1) ≥ r + 1``. So every ``x`` with ``d(q, x) ≤ r``
has at least one part where ``d_i ≤ t_i``: its key in that part lies in the
Hamming ball of radius ``t_i`` around the query's key. The index looks up every
key of every such ball (a part with ``t_i = -1`` is not looked up at all), so
each true match becomes a candidate; every candidate is then checked with its
full 256-bit distance, so nothing beyond ``r`` is returned. Meta's FAISS set-up
(16 parts of 16 bits, one flipped bit each: ``16 · 2 = 32``) is one instance.

The parts are fixed when a segment is built (they shape its tables); the radii
are chosen at search time, for the threshold asked, from each part's expected
bucket load measured from the stored bits — so a part whose keys crowd into few
buckets (PDQ's low-frequency bits lean one way) is probed less far, the others
further. None of this affects the answer, only its cost.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from vigil.matching._arrays import PDQ_BYTES, PDQ_THRESHOLD, Hashes

HASH_BITS = PDQ_BYTES * 8
MAX_PART_BITS = 32
"""Keys are looked up in a dense table of 2**width buckets, so parts stay narrow."""

# Rough costs on one core (ns), measured on 10M hashes: looking up one key (two
# reads in a table bigger than the cache), and checking one candidate (a read
# of its posting and its 32 bytes, a popcount). Only the *choice* of parts and
# radii depends on them, never the answer.
COST_PROBE_NS = 30.0
COST_CANDIDATE_NS = 45.0
COST_SCAN_NS = 3.0
"""Comparing one query with one hash in a plain scan, for tiny segments."""


@dataclass(frozen=True, slots=True)
class Part:
    """A run of ``width`` bits starting at bit ``start`` (bit 0 = first bit of the hex form)."""

    start: int
    width: int


def split_bits(count: int) -> tuple[Part, ...]:
    """Cut the 256 bits into ``count`` contiguous parts whose widths differ by at most one."""
    if not 1 <= count <= HASH_BITS:
        raise ValueError(f"cannot cut {HASH_BITS} bits into {count} parts")
    narrow, extra = divmod(HASH_BITS, count)
    parts: list[Part] = []
    start = 0
    for i in range(count):
        width = narrow + (1 if i < extra else 0)
        parts.append(Part(start, width))
        start += width
    return tuple(parts)


def ball_size(width: int, radius: int) -> int:
    """Number of ``width``-bit keys within Hamming distance ``radius`` of a given key."""
    return sum(math.comb(width, k) for k in range(min(radius, width) + 1))


@functools.lru_cache(maxsize=256)
def flip_masks(width: int, radius: int) -> npt.NDArray[np.int64]:
    """Every ``width``-bit mask with at most ``radius`` bits set (0 first)."""
    masks = [np.zeros(1, dtype=np.int64)]
    for k in range(1, min(radius, width) + 1):
        combos = np.array(list(itertools.combinations(range(width), k)), dtype=np.int64)
        masks.append(np.bitwise_or.reduce(np.left_shift(1, combos), axis=1))
    out = np.concatenate(masks)
    out.flags.writeable = False
    return out


def part_keys(hashes: Hashes, part: Part) -> npt.NDArray[np.int64]:
    """The ``part.width``-bit key of each ``(n, 32)`` hash, as an unsigned integer."""
    first = part.start // 8
    last = (part.start + part.width - 1) // 8
    acc = np.zeros(len(hashes), dtype=np.uint64)
    for byte in range(first, last + 1):
        acc = (acc << np.uint64(8)) | hashes[:, byte].astype(np.uint64)
    spare_low_bits = (last + 1) * 8 - (part.start + part.width)
    acc >>= np.uint64(spare_low_bits)
    acc &= np.uint64((1 << part.width) - 1)
    return acc.astype(np.int64)


def bit_frequencies(hashes: Hashes) -> npt.NDArray[np.float64]:
    """How often each of the 256 bits is set (bit 0 = most significant bit of byte 0)."""
    if len(hashes) == 0:
        return np.full(HASH_BITS, 0.5)
    weights = np.unpackbits(np.arange(256, dtype=np.uint8)[:, None], axis=1)  # (value, bit)
    sums = np.zeros(HASH_BITS)
    for byte in range(hashes.shape[1]):
        counts = np.bincount(hashes[:, byte], minlength=256).astype(np.float64)
        sums[byte * 8 : byte * 8 + 8] = counts @ weights
    freq: npt.NDArray[np.float64] = sums / len(hashes)
    return freq


def part_load(rows: int, part: Part, freq: npt.NDArray[np.float64] | None = None) -> float:
    """Expected hashes behind one key of ``part``, for a query drawn like the hashes.

    That is ``rows`` times the chance that two hashes share the key; with
    independent bits of frequency ``p`` it is the product of ``p² + (1-p)²``
    over the part's bits — ``2**-width`` when bits are balanced, more when
    they lean (as PDQ's low frequencies do). Bit frequencies hardly move with
    clusters of near-duplicates, so one big cluster does not make a whole part
    look crowded (its own cost is real, and paid only by queries near it).
    """
    if freq is None:
        return rows / float(1 << part.width)
    p = freq[part.start : part.start + part.width]
    return rows * float(np.prod(p * p + (1.0 - p) * (1.0 - p)))


def allocate_radii(
    widths: Sequence[int], loads: Sequence[float], threshold: int = PDQ_THRESHOLD
) -> tuple[int, ...]:
    """Cheapest radii with ``Σ (t_i + 1) ≥ threshold + 1`` (see the module docstring).

    ``loads[i]`` is the expected number of hashes behind one key of part ``i``.
    Greedy: each step raises the radius whose next ring of keys costs least;
    ring sizes grow with the radius, so this finds the cheapest allocation.
    """
    radii = [-1] * len(widths)
    for _ in range(threshold + 1):
        best = min(
            range(len(widths)),
            key=lambda i: _ring_cost(widths[i], radii[i] + 1, loads[i]),
        )
        radii[best] += 1
    return tuple(radii)


def search_cost_ns(widths: Sequence[int], loads: Sequence[float], radii: Sequence[int]) -> float:
    """Estimated time to search one query with the given radii."""
    return sum(
        ball_size(w, t) * (COST_PROBE_NS + COST_CANDIDATE_NS * load)
        for w, t, load in zip(widths, radii, loads, strict=True)
        if t >= 0
    )


def choose_parts(
    rows: int, freq: npt.NDArray[np.float64] | None = None, threshold: int = PDQ_THRESHOLD
) -> tuple[Part, ...]:
    """The cut into parts that makes a segment of ``rows`` hashes cheapest to search.

    ``freq``: the hashes' :func:`bit_frequencies` (default: balanced bits).

    Wider parts mean fewer candidates per key but bigger tables (4 bytes per
    bucket) and more keys per ball; a part never gets more buckets than twice
    the number of hashes, which keeps the tables at most ~8 bytes per hash each.
    """
    best: tuple[float, tuple[Part, ...]] | None = None
    for count in range(HASH_BITS // MAX_PART_BITS, HASH_BITS // 8 + 1):
        parts = split_bits(count)
        widest = max(p.width for p in parts)
        if count < HASH_BITS // 8 and (1 << widest) > 2 * max(rows, 1):
            continue
        widths = [p.width for p in parts]
        loads = [part_load(rows, p, freq) for p in parts]
        cost = search_cost_ns(widths, loads, allocate_radii(widths, loads, threshold))
        if best is None or cost < best[0]:
            best = (cost, parts)
    if best is None:  # 32 parts of 8 bits are always allowed
        raise RuntimeError("no index partition was considered")
    return best[1]


def _ring_cost(width: int, radius: int, load: float) -> float:
    """Cost of the keys at exactly ``radius`` bits from the query's key."""
    if radius > width:
        return math.inf
    return math.comb(width, radius) * (COST_PROBE_NS + COST_CANDIDATE_NS * load)
