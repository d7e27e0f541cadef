"""Synthetic PDQ-like hash banks for tests and benchmarks — numbers only, no images.

Uniform random bits make an index look better than it will be on real data:
real PDQ hashes come in clusters (one picture re-encoded, resized, cropped,
under many entries) and their bits are not balanced across a collection
(low-frequency DCT signs lean one way in most photos). So a synthetic bank is
made the way PDQ makes a hash, from a 16×16 block of "DCT coefficients":

* each picture's coefficients are a bank-wide bias plus its own noise, and the
  hash is "coefficient > median of the 256" (PDQ's rule), so every hash has
  128 bits set and low frequencies are skewed;
* each picture appears as a cluster of near-duplicates, a few bits apart (some
  exactly equal), cluster sizes following a power law (a few reach thousands);
* the 8 dihedral variants of a query picture come from sign flips and the
  transpose of its coefficients, then the median rule — as
  ``pdqhash.compute_dihedral`` does — so they are not mere bit permutations.

Bit ``k`` of the hash is coefficient ``(k // 16, k % 16)`` and is stored as in
PDQ's hex form (``byte 31 - k // 8``, value ``1 << (k % 8)``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from vigil.matching._arrays import PDQ_BYTES, Hashes, Ids

SIDE = 16
BITS = SIDE * SIDE
_CHUNK = 1 << 18


def random_hashes(count: int, rng: np.random.Generator) -> Hashes:
    """Uniformly random 256-bit hashes."""
    return rng.integers(0, 256, size=(count, PDQ_BYTES), dtype=np.uint8)


def dct_bias(rng: np.random.Generator, strength: float = 0.8) -> npt.NDArray[np.float32]:
    """A bank-wide lean of each coefficient, strongest at low frequencies."""
    freq = np.add.outer(np.arange(SIDE), np.arange(SIDE)).reshape(-1)
    scale = strength / (1.0 + freq / 4.0)
    return (rng.standard_normal(BITS) * scale).astype(np.float32)


def picture_coefficients(
    count: int, rng: np.random.Generator, bias: npt.NDArray[np.float32]
) -> npt.NDArray[np.float32]:
    """``(count, 256)`` coefficient blocks of unrelated pictures."""
    noise = rng.standard_normal((count, BITS), dtype=np.float32)
    out: npt.NDArray[np.float32] = noise + bias
    return out


def hash_coefficients(coeffs: npt.NDArray[np.float32]) -> Hashes:
    """PDQ's rule: bit set where the coefficient is above the block's median."""
    out = np.empty((len(coeffs), PDQ_BYTES), dtype=np.uint8)
    for first in range(0, len(coeffs), _CHUNK):
        block = coeffs[first : first + _CHUNK]
        median = np.median(block, axis=1, keepdims=True)
        bits = (block > median).astype(np.uint8)
        out[first : first + _CHUNK] = np.packbits(bits[:, ::-1], axis=1)
    return out


def dihedral_coefficients(coeffs: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """``(n, 8, 256)``: the coefficients of the 8 rotations/flips of each picture.

    Mirroring a picture left-right negates the DCT coefficients of odd
    horizontal frequency, top-bottom those of odd vertical frequency; the
    transpose swaps the two frequencies. Their combinations give all 8.
    """
    block = coeffs.reshape(-1, SIDE, SIDE)
    sign = np.where(np.arange(SIDE) % 2 == 1, -1.0, 1.0).astype(np.float32)
    flips = [
        block,
        block * sign[None, None, :],
        block * sign[None, :, None],
        block * sign[None, None, :] * sign[None, :, None],
    ]
    variants = flips + [f.transpose(0, 2, 1) for f in flips]
    return np.stack([v.reshape(-1, BITS) for v in variants], axis=1)


def flip_exact(
    hashes: Hashes, distances: npt.NDArray[np.int64], rng: np.random.Generator
) -> Hashes:
    """Copies of ``hashes`` with exactly ``distances[i]`` distinct bits flipped in row ``i``."""
    out = hashes.copy()
    for first in range(0, len(hashes), _CHUNK // 4):
        rows = slice(first, first + _CHUNK // 4)
        order = np.argsort(rng.random((len(out[rows]), BITS), dtype=np.float32), axis=1)
        chosen = order < distances[rows, None]  # a random set of d positions per row
        out[rows] ^= np.packbits(chosen, axis=1)
    return out


def flip_some(hashes: Hashes, counts: npt.NDArray[np.int64], rng: np.random.Generator) -> Hashes:
    """Copies with ``counts[i]`` random bits flipped (with repeats, so *at most* that far)."""
    out = hashes.copy()
    rows = np.repeat(np.arange(len(hashes)), counts)
    bits = rng.integers(0, BITS, size=len(rows))
    np.bitwise_xor.at(out, (rows, bits // 8), (1 << (bits % 8)).astype(np.uint8))
    return out


@dataclass(frozen=True, slots=True)
class Bank:
    """A synthetic hash set: hashes, their ids, and which cluster each belongs to."""

    hashes: Hashes
    ids: Ids
    cluster: npt.NDArray[np.int64]


def clustered_bank(
    size: int,
    rng: np.random.Generator,
    bias: npt.NDArray[np.float32] | None = None,
    *,
    max_cluster: int = 2000,
    member_bits: float = 8.0,
) -> Bank:
    """``size`` hashes in clusters of near-duplicates around PDQ-like centres.

    Cluster sizes follow a Zipf law (exponent 2, capped at ``max_cluster``):
    most pictures appear once or twice, a few thousands of times. Members sit a
    geometric number of flipped bits (mean ``member_bits``, zero included, i.e.
    exact duplicates) from their centre.
    """
    bias = dct_bias(rng) if bias is None else bias
    sizes = np.minimum(rng.zipf(2.0, size=size), max_cluster)
    sizes = sizes[: int(np.searchsorted(np.cumsum(sizes), size)) + 1]
    sizes[-1] -= int(sizes.sum()) - size
    sizes = sizes[sizes > 0]
    centres = np.empty((len(sizes), PDQ_BYTES), dtype=np.uint8)
    for first in range(0, len(sizes), _CHUNK):
        count = min(_CHUNK, len(sizes) - first)
        centres[first : first + count] = hash_coefficients(picture_coefficients(count, rng, bias))
    cluster = np.repeat(np.arange(len(sizes), dtype=np.int64), sizes)
    leader = np.ones(size, dtype=bool)
    leader[1:] = cluster[1:] != cluster[:-1]  # each cluster's first row is its centre
    spread = rng.geometric(1.0 / (member_bits + 1.0), size=size) - 1
    spread[leader] = 0
    hashes = flip_some(centres[cluster], spread.astype(np.int64), rng)
    ids = rng.permutation(size).astype(np.int64) + 1
    return Bank(hashes, ids, cluster)


@dataclass(frozen=True, slots=True)
class Queries:
    """Query pictures as 8 dihedral hashes each, plus bank rows planted at known distances.

    Rows ``8i … 8i+7`` of ``hashes`` are picture ``i``'s variants. Planted row
    ``j`` (``planted[j]``, id ``planted_ids[j]``) lies exactly
    ``planted_distance[j]`` bits from query row ``planted_query[j]``.
    """

    hashes: Hashes
    planted: Hashes
    planted_ids: Ids
    planted_query: npt.NDArray[np.int64]
    planted_distance: npt.NDArray[np.int64]


def planted_queries(
    pictures: int,
    rng: np.random.Generator,
    bias: npt.NDArray[np.float32],
    *,
    first_id: int,
    match_fraction: float = 0.25,
    decoy_fraction: float = 0.1,
    threshold: int = 31,
) -> Queries:
    """Query pictures; a share gets a planted match (0…threshold bits from one variant)
    and another share a decoy just outside (threshold+1 … threshold+9 bits)."""
    variants = np.empty((pictures, 8, PDQ_BYTES), dtype=np.uint8)
    for first in range(0, pictures, _CHUNK // 8):
        count = min(_CHUNK // 8, pictures - first)
        coeffs = dihedral_coefficients(picture_coefficients(count, rng, bias))
        variants[first : first + count] = hash_coefficients(coeffs.reshape(-1, BITS)).reshape(
            count, 8, PDQ_BYTES
        )
    hashes = variants.reshape(-1, PDQ_BYTES)
    kind = rng.random(pictures)
    chosen = np.flatnonzero(kind < match_fraction + decoy_fraction)
    is_match = kind[chosen] < match_fraction
    query_row = chosen * 8 + rng.integers(0, 8, size=len(chosen))
    distance = np.where(
        is_match,
        rng.integers(0, threshold + 1, size=len(chosen)),
        rng.integers(threshold + 1, threshold + 10, size=len(chosen)),
    ).astype(np.int64)
    planted = flip_exact(hashes[query_row], distance, rng)
    ids = np.arange(first_id, first_id + len(chosen), dtype=np.int64)
    return Queries(hashes, planted, ids, query_row.astype(np.int64), distance)
