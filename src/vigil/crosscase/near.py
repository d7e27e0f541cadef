"""PDQ pairs between one case's pictures and every other case's, within the threshold."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import numpy.typing as npt

from vigil.matching.pdq_bruteforce import BruteForcePdqIndex
from vigil.matching.pdq_index import PdqIndex

BRUTE_FORCE_PAIRS = 50_000_000
"""Up to this many query × bank comparisons, all against all beats building an index."""


def near_rows(
    queries: npt.NDArray[np.uint8],
    bank: npt.NDArray[np.uint8],
    threshold_bits: int,
) -> list[tuple[int, int]]:
    """``(query row, bank row)`` pairs within ``threshold_bits``, each pair once.

    ``queries`` and ``bank`` are ``(n, 32)`` uint8 arrays. Small problems are
    solved by the brute-force oracle; large ones by the multi-index-hashing PDQ
    index (exactly the same pairs, see matching/pdq_index.py) in a private folder.
    """
    if len(queries) == 0 or len(bank) == 0:
        return []
    ids = np.arange(len(bank), dtype=np.int64)
    if len(queries) * len(bank) <= BRUTE_FORCE_PAIRS:
        found = BruteForcePdqIndex(bank, ids).search(queries, threshold_bits)
    else:
        with tempfile.TemporaryDirectory(prefix="vigil-links-") as folder:
            index = PdqIndex.build(Path(folder) / "pdq", bank, ids)
            found = np.array(index.search(queries, threshold_bits, workers=1), copy=True)
    pairs = zip(found["query"].tolist(), found["id"].tolist(), strict=True)
    return sorted(set(pairs))
