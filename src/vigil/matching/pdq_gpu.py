"""Optional GPU search: every query against every hash on an NVIDIA GPU, with FAISS.

Needs the ``gpu`` extra (a faiss build with GPU support, e.g. ``faiss-gpu-cu12``)
and a CUDA device; without them :class:`GpuPdqIndex` raises
:class:`GpuUnavailableError` and callers use :class:`~vigil.matching.pdq_index.PdqIndex`.

FAISS's GPU binary index (``GpuIndexBinaryFlat``, a fused XOR-popcount kernel
over all hashes) answers k-nearest-neighbour queries only, not range queries.
Exactness is restored this way: each query asks for its ``k`` nearest; when
even the k-th is within the threshold there may be more, so that query is asked
again with ``max_k``; when that list is full as well, the query is answered by
FAISS's exact range search on the CPU. Every distance comes from the full 256
bits, so the result equals the brute-force oracle's. With ``device=None`` the
same code runs on FAISS's CPU index — which is how the logic is tested on
machines without a GPU.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np
import numpy.typing as npt

from vigil.matching._arrays import (
    PDQ_BYTES,
    PDQ_THRESHOLD,
    Matches,
    check_digests,
    check_ids,
    check_threshold,
    make_matches,
)
from vigil.matching._store import MatchIndexError
from vigil.matching.pdq_index import PdqIndex

QUERY_CHUNK = 1 << 16
"""Queries sent to the device at once (k · 12 bytes of answers each)."""


class GpuUnavailableError(MatchIndexError):
    """FAISS with GPU support, or a CUDA device, is missing."""


def _faiss() -> ModuleType:
    try:
        import faiss  # optional dependency: imported on use
    except ImportError as exc:
        raise GpuUnavailableError(
            "GPU matching needs FAISS: install vigil[gpu] (faiss-gpu-cu12) on a machine with an "
            "NVIDIA GPU"
        ) from exc
    module: ModuleType = faiss
    return module


def gpu_available() -> bool:
    """True when FAISS has GPU support and sees at least one CUDA device."""
    try:
        faiss = _faiss()
    except GpuUnavailableError:
        return False
    return hasattr(faiss, "StandardGpuResources") and int(faiss.get_num_gpus()) > 0


class GpuPdqIndex:
    """All hashes resident on one GPU (32 bytes each: 100M hashes take 3.2 GB)."""

    def __init__(
        self,
        hashes: npt.ArrayLike,
        ids: npt.ArrayLike,
        *,
        device: int | None = 0,
        k: int = 32,
        max_k: int = 1024,
    ) -> None:
        """Upload ``hashes`` to GPU ``device`` (``None``: FAISS's CPU index, for tests).

        ``k`` neighbours are asked for first, ``max_k`` (≤ 1024, the limit of every
        FAISS GPU build) for the few queries whose first list was full.
        """
        faiss = _faiss()
        self._faiss = faiss
        self._hashes = check_digests(hashes, PDQ_BYTES)
        self._ids = check_ids(ids, len(self._hashes))
        if not 1 <= k <= max_k:
            raise ValueError(f"need 1 <= k <= max_k, not k={k}, max_k={max_k}")
        self._k, self._max_k = k, max_k
        self._resources: Any = None
        if device is None:
            self._index: Any = faiss.IndexBinaryFlat(PDQ_BYTES * 8)
        else:
            if not gpu_available():
                raise GpuUnavailableError("no CUDA device visible to FAISS")
            self._resources = faiss.StandardGpuResources()
            config = faiss.GpuIndexBinaryFlatConfig()
            config.device = device
            self._index = faiss.GpuIndexBinaryFlat(self._resources, PDQ_BYTES * 8, config)
        self._index.add(self._hashes)
        self._cpu_exact: Any = None  # built on first need: most scans never need it

    @classmethod
    def from_index(cls, index: PdqIndex, **options: Any) -> GpuPdqIndex:
        """Load the live rows of a :class:`PdqIndex` (deleted entries left out)."""
        hashes, ids = index.live_rows()
        return cls(hashes, ids, **options)

    def search(self, queries: npt.ArrayLike, threshold: int = PDQ_THRESHOLD) -> Matches:
        """Every ``(query, id, distance)`` with distance ≤ ``threshold`` bits, sorted."""
        qs = check_digests(queries, PDQ_BYTES, "queries")
        limit = check_threshold(threshold)
        found: list[tuple[npt.NDArray[np.int64], ...]] = []
        for first in range(0, len(qs), QUERY_CHUNK):
            chunk = qs[first : first + QUERY_CHUNK]
            rows = np.arange(first, first + len(chunk), dtype=np.int64)
            full = self._knn(chunk, rows, self._k, limit, found)
            if len(full):
                full = self._knn(qs[full], full, self._max_k, limit, found)
            if len(full):
                found.append(self._range(qs[full], full, limit))
        if not found:
            return make_matches(*(np.empty(0, np.int64),) * 3)
        q, pos, dist = (np.concatenate([f[i] for f in found]) for i in range(3))
        return make_matches(q, self._ids[pos], dist)

    def _knn(
        self,
        chunk: npt.NDArray[np.uint8],
        rows: npt.NDArray[np.int64],
        k: int,
        limit: int,
        found: list[tuple[npt.NDArray[np.int64], ...]],
    ) -> npt.NDArray[np.int64]:
        """Keep the answers of queries whose k-list was not full; return the full ones' rows."""
        dist, pos = self._index.search(chunk, k)
        full = dist[:, -1] <= limit  # the k-th is still a match: there may be more
        hit = (dist <= limit) & (pos >= 0) & ~full[:, None]
        q_at, col = np.nonzero(hit)
        found.append(
            (rows[q_at], pos[q_at, col].astype(np.int64), dist[q_at, col].astype(np.int64))
        )
        still_full: npt.NDArray[np.int64] = rows[full]
        return still_full

    def _range(
        self, queries: npt.NDArray[np.uint8], rows: npt.NDArray[np.int64], limit: int
    ) -> tuple[npt.NDArray[np.int64], ...]:
        """Exact range search on the CPU for queries with more than ``max_k`` matches."""
        if self._cpu_exact is None:
            self._cpu_exact = self._faiss.IndexBinaryFlat(PDQ_BYTES * 8)
            self._cpu_exact.add(self._hashes)
        lims, dist, pos = self._cpu_exact.range_search(queries, limit + 1)  # radius is exclusive
        q = np.repeat(rows, np.diff(lims.astype(np.int64)))
        return q, pos.astype(np.int64), dist.astype(np.int64)
