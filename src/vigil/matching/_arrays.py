"""Array shapes shared by the matching indexes: input checks and the match record.

Every search answers with one structured array of :data:`MATCH_DTYPE` rows,
``(query, id, distance)``, sorted by query then id then distance and free of
repeated rows, so that two indexes agree exactly when ``np.array_equal`` says so.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

PDQ_BYTES = 32
"""A PDQ hash is 256 bits."""

PDQ_THRESHOLD = 31
"""Meta's match threshold: Hamming distance ≤ 31 bits is a match."""

MATCH_DTYPE = np.dtype([("query", "<i8"), ("id", "<i8"), ("distance", "<i2")])
"""One match: row of the query batch, id of the indexed entry, Hamming distance in bits."""

ROW_DTYPE = np.dtype([("w0", "<u8"), ("w1", "<u8"), ("w2", "<u8"), ("w3", "<u8")])
"""A 32-byte hash seen as one record: ``np.take`` copies these far faster than 32 bytes."""

Hashes = npt.NDArray[np.uint8]
Ids = npt.NDArray[np.int64]
Matches = npt.NDArray[np.void]


def check_digests(digests: npt.ArrayLike, size: int, what: str = "hashes") -> Hashes:
    """Return ``digests`` as a C-contiguous ``(n, size)`` uint8 array, or raise ValueError."""
    arr = np.asarray(digests)
    if arr.dtype != np.uint8 or arr.ndim != 2 or arr.shape[1] != size:
        raise ValueError(f"{what} must be a (n, {size}) uint8 array, not {arr.dtype} {arr.shape}")
    return np.ascontiguousarray(arr)


def check_ids(ids: npt.ArrayLike, count: int) -> Ids:
    """Return ``ids`` as an int64 vector of length ``count``, or raise ValueError."""
    arr = np.asarray(ids)
    if arr.ndim != 1 or arr.shape[0] != count or not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"ids must be {count} integers, not {arr.dtype} {arr.shape}")
    return np.ascontiguousarray(arr, dtype=np.int64)


def check_threshold(threshold: int) -> int:
    """A Hamming threshold must lie in 0..255 (256 would match everything)."""
    if not 0 <= int(threshold) <= 255:
        raise ValueError(f"threshold must be 0..255 bits, not {threshold}")
    return int(threshold)


def as_rows(hashes: Hashes) -> npt.NDArray[np.void]:
    """View ``(n, 32)`` uint8 hashes as ``n`` records of :data:`ROW_DTYPE` (no copy)."""
    return hashes.view(ROW_DTYPE).reshape(-1)


def row_distances(a: npt.NDArray[np.void], b: npt.NDArray[np.void]) -> npt.NDArray[np.int16]:
    """Hamming distances between equal-length vectors of :data:`ROW_DTYPE` records."""
    diff = a.view(np.uint64).reshape(-1, 4) ^ b.view(np.uint64).reshape(-1, 4)
    counts = np.bitwise_count(diff)  # (n, 4) uint8, each 0..64
    # Summing four bytes with one multiply: the top byte of count·0x01010101 is
    # their sum modulo 256; partial sums of the lower bytes stay under 256, so
    # nothing carries in. Only the all-64 row (distance 256) wraps, to 0.
    packed = counts.view(np.uint32).reshape(-1)
    total: npt.NDArray[np.uint32] = (packed * np.uint32(0x01010101)) >> np.uint32(24)
    total[packed == np.uint32(0x40404040)] = 256
    return total.astype(np.int16)


def make_matches(
    query: npt.NDArray[np.int64], ids: npt.NDArray[np.int64], distance: npt.NDArray[np.integer]
) -> Matches:
    """Sorted, de-duplicated :data:`MATCH_DTYPE` records from three parallel vectors."""
    out = np.empty(len(query), dtype=MATCH_DTYPE)
    out["query"] = query
    out["id"] = ids
    out["distance"] = distance
    if len(out) == 0:
        return out
    out = out[np.lexsort((out["distance"], out["id"], out["query"]))]
    keep = np.ones(len(out), dtype=bool)
    for name in ("query", "id", "distance"):
        # Field by field: comparing whole structured rows costs ~400 bytes a row.
        column = out[name]
        keep[1:] &= column[1:] == column[:-1]
    keep[1:] = ~keep[1:]
    return out[keep]


def not_in_sorted(values: npt.NDArray[np.int64], sorted_ids: npt.NDArray[np.int64]) -> Any:
    """Boolean mask: which ``values`` are absent from the sorted ``sorted_ids``.

    A binary search per value: ``np.isin`` would sort ``sorted_ids`` again on
    every call, which for 100k tombstones cost a quarter of a search.
    """
    if not len(sorted_ids):
        return np.ones(len(values), dtype=bool)
    at = np.minimum(np.searchsorted(sorted_ids, values), len(sorted_ids) - 1)
    return sorted_ids.take(at) != values


def load_mapped(path: Path) -> npt.NDArray[Any]:
    """Open a ``.npy`` file memory-mapped read-only, as a plain ndarray view.

    ``np.asarray`` drops the ``np.memmap`` subclass (whose hooks slow every
    operation) while the view keeps the mapping alive.
    """
    return np.asarray(np.load(path, mmap_mode="r"))


def empty_matches() -> Matches:
    """A search result with no rows."""
    return np.empty(0, dtype=MATCH_DTYPE)
