"""GPU search: its exactness logic on FAISS's CPU index here, the real GPU where there is one."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vigil.matching import BruteForcePdqIndex, PdqIndex, synthetic

faiss = pytest.importorskip("faiss")

from vigil.matching.pdq_gpu import GpuPdqIndex, GpuUnavailableError, gpu_available  # noqa: E402


@pytest.mark.parametrize(("k", "max_k"), [(32, 1024), (2, 8), (1, 1)])
def test_knn_with_fallbacks_equals_oracle(
    k: int, max_k: int, clustered: tuple[synthetic.Bank, synthetic.Queries]
) -> None:
    bank, queries = clustered
    subset = np.concatenate([queries.hashes[:400], bank.hashes[::50]])  # picture + cluster members
    # Small k forces both fallbacks: a second k-NN round and the exact CPU range search.
    found = GpuPdqIndex(bank.hashes, bank.ids, device=None, k=k, max_k=max_k).search(subset)
    assert np.array_equal(found, BruteForcePdqIndex(bank.hashes, bank.ids).search(subset))
    assert np.bincount(found["query"]).max() > 8  # some queries have more matches than max_k


def test_from_index_leaves_deleted_out(rng: np.random.Generator, tmp_path: Path) -> None:
    bank = synthetic.random_hashes(1_000, rng)
    index = PdqIndex.build(tmp_path / "idx", bank, np.arange(1_000))
    index.delete([3])
    found = GpuPdqIndex.from_index(index, device=None).search(bank[2:5])
    assert found["id"].tolist() == [2, 4]


@pytest.mark.skipif(gpu_available(), reason="a GPU is present")
def test_asking_for_a_missing_gpu_says_so(rng: np.random.Generator) -> None:
    with pytest.raises(GpuUnavailableError):
        GpuPdqIndex(synthetic.random_hashes(10, rng), np.arange(10), device=0)


@pytest.mark.skipif(not gpu_available(), reason="needs faiss with GPU support and a CUDA device")
def test_gpu_equals_oracle(clustered: tuple[synthetic.Bank, synthetic.Queries]) -> None:
    bank, queries = clustered
    found = GpuPdqIndex(bank.hashes, bank.ids, device=0).search(queries.hashes)
    assert np.array_equal(found, BruteForcePdqIndex(bank.hashes, bank.ids).search(queries.hashes))
