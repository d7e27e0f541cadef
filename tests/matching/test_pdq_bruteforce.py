"""The oracle itself: distances at and around the threshold, ids, input checks."""

from __future__ import annotations

import numpy as np
import pytest

from vigil.matching import MATCH_DTYPE, BruteForcePdqIndex
from vigil.matching.pdq_bruteforce import pdq_distance
from vigil.matching.synthetic import flip_exact, random_hashes


def test_threshold_is_inclusive(rng: np.random.Generator) -> None:
    query = random_hashes(1, rng)
    distances = np.array([0, 1, 30, 31, 32, 33, 128, 256])
    bank = flip_exact(np.repeat(query, len(distances), axis=0), distances, rng)
    assert list(pdq_distance(bank, np.repeat(query, len(bank), axis=0))) == list(distances)
    found = BruteForcePdqIndex(bank, np.arange(len(bank)) + 100).search(query)
    assert found.dtype == MATCH_DTYPE
    assert found.tolist() == [(0, 100, 0), (0, 101, 1), (0, 102, 30), (0, 103, 31)]
    everything = BruteForcePdqIndex(bank, np.arange(len(bank))).search(query, threshold=255)
    assert list(everything["distance"]) == [0, 1, 30, 31, 32, 33, 128]  # 256 > 255


def test_every_matching_id_and_query(rng: np.random.Generator) -> None:
    bank = random_hashes(50, rng)
    bank[10] = bank[3]  # the same picture under two entries
    index = BruteForcePdqIndex(bank, np.arange(50))
    found = index.search(bank[[3, 7, 3]])
    assert found.tolist() == [(0, 3, 0), (0, 10, 0), (1, 7, 0), (2, 3, 0), (2, 10, 0)]
    assert len(index) == 50


def test_empty_inputs(rng: np.random.Generator) -> None:
    empty = np.empty((0, 32), np.uint8)
    assert len(BruteForcePdqIndex(empty, np.empty(0, np.int64)).search(random_hashes(3, rng))) == 0
    assert len(BruteForcePdqIndex(random_hashes(3, rng), [1, 2, 3]).search(empty)) == 0


@pytest.mark.parametrize(
    ("hashes", "ids"),
    [
        (np.zeros((2, 31), np.uint8), [1, 2]),
        (np.zeros((2, 32), np.int64), [1, 2]),
        (np.zeros((2, 32), np.uint8), [1]),
        (np.zeros((2, 32), np.uint8), [1.5, 2.5]),
    ],
)
def test_rejects_bad_arrays(hashes: np.ndarray, ids: list[float]) -> None:
    with pytest.raises(ValueError):
        BruteForcePdqIndex(hashes, ids)


@pytest.mark.parametrize("threshold", [-1, 256])
def test_rejects_bad_threshold(threshold: int, rng: np.random.Generator) -> None:
    with pytest.raises(ValueError, match="threshold"):
        BruteForcePdqIndex(random_hashes(2, rng), [1, 2]).search(random_hashes(1, rng), threshold)


def test_bad_queries_are_named_as_queries(rng: np.random.Generator) -> None:
    index = BruteForcePdqIndex(random_hashes(2, rng), [1, 2])
    with pytest.raises(ValueError, match=r"^queries must be a \(n, 32\) uint8 array"):
        index.search(np.zeros((1, 31), np.uint8))


def test_distances_are_int64(rng: np.random.Generator) -> None:
    a, b = random_hashes(3, rng), random_hashes(3, rng)
    assert pdq_distance(a, b).dtype == np.int64  # not the uint64 numpy would sum to


def test_past_one_bank_chunk_and_one_query_block(rng: np.random.Generator) -> None:
    # 65,536 hashes make one bank chunk and cap a query block at 16: 70,000 hashes and 40
    # queries need two chunks and three blocks, and every offset back to the caller's rows.
    bank = random_hashes(70_000, rng)
    rows = np.linspace(0, len(bank) - 1, 40).astype(np.int64)  # rows on both sides of 65,536
    distances = np.arange(40) % 32  # 0..31 bits: all within the threshold
    queries = flip_exact(bank[rows], distances, rng)
    found = BruteForcePdqIndex(bank, np.arange(len(bank)) + 7).search(queries)
    # Random 256-bit hashes lie ~128 bits apart: only the planted near copies match.
    assert found.tolist() == [(q, int(rows[q]) + 7, int(distances[q])) for q in range(40)]
