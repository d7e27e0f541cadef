"""Brute-force PDQ search: every query against every hash. The test oracle.

It is deliberately plain — XOR, popcount, compare — so that anyone can see it is
right; the fast index (:mod:`vigil.matching.pdq_index`) must return exactly what
this returns. It is also a fine choice for a few thousand hashes.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from vigil.matching._arrays import (
    PDQ_BYTES,
    PDQ_THRESHOLD,
    Hashes,
    Matches,
    check_digests,
    check_ids,
    check_threshold,
    make_matches,
)

_PAIRS_PER_STEP = 1 << 20
"""Query × hash pairs compared per numpy step: bounds the temporaries to ~50 MB."""

_BANK_CHUNK = 1 << 16
"""Hashes compared per step (2 MB), so that the chunk stays in cache across query blocks."""


class BruteForcePdqIndex:
    """Every query is compared with every indexed hash; holds the hashes in memory."""

    def __init__(self, hashes: npt.ArrayLike, ids: npt.ArrayLike) -> None:
        checked = check_digests(hashes, PDQ_BYTES)
        self._words = checked.view(np.uint64)  # (n, 4): popcount of XOR is order-blind
        self._ids = check_ids(ids, len(checked))

    def __len__(self) -> int:
        return len(self._ids)

    def search(self, queries: npt.ArrayLike, threshold: int = PDQ_THRESHOLD) -> Matches:
        """All ``(query, id, distance)`` with distance ≤ ``threshold`` bits, sorted."""
        qwords = check_digests(queries, PDQ_BYTES, "queries").view(np.uint64)
        limit = check_threshold(threshold)
        found_q: list[npt.NDArray[np.int64]] = []
        found_row: list[npt.NDArray[np.int64]] = []
        found_d: list[npt.NDArray[np.uint16]] = []
        chunk = max(1, min(len(self._words), _BANK_CHUNK))
        step = max(1, _PAIRS_PER_STEP // chunk)
        for first_row in range(0, len(self._words), chunk):
            words = self._words[first_row : first_row + chunk]
            for first_q in range(0, len(qwords), step):
                dist = _distances(qwords[first_q : first_q + step], words)
                q, row = np.nonzero(dist <= limit)
                found_q.append(q.astype(np.int64) + first_q)
                found_row.append(row.astype(np.int64) + first_row)
                found_d.append(dist[q, row])
        if not found_q:
            return make_matches(*(np.empty(0, np.int64),) * 3)
        rows = np.concatenate(found_row)
        return make_matches(np.concatenate(found_q), self._ids[rows], np.concatenate(found_d))


def _distances(
    queries: npt.NDArray[np.uint64], words: npt.NDArray[np.uint64]
) -> npt.NDArray[np.uint16]:
    """``(len(queries), len(words))`` Hamming distances in bits."""
    counts = np.bitwise_count(queries[:, None, :] ^ words[None, :, :]).astype(np.uint16)
    total: npt.NDArray[np.uint16] = (
        counts[..., 0] + counts[..., 1] + counts[..., 2] + counts[..., 3]
    )
    return total


def pdq_distance(a: Hashes, b: Hashes) -> npt.NDArray[np.int64]:
    """Row-wise Hamming distance of two equal-shape ``(n, 32)`` hash arrays."""
    diff = check_digests(a, PDQ_BYTES).view(np.uint64) ^ check_digests(b, PDQ_BYTES).view(np.uint64)
    total: npt.NDArray[np.int64] = np.bitwise_count(diff).sum(axis=1, dtype=np.int64)
    return total
