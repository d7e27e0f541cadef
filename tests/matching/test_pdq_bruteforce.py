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
