"""Fixtures for the matching tests: seeded generators and small synthetic banks."""

from __future__ import annotations

import numpy as np
import pytest

from vigil.matching import synthetic


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20240531)


@pytest.fixture(scope="module")
def clustered() -> tuple[synthetic.Bank, synthetic.Queries]:
    """A 30k-hash clustered bank with 300 query pictures (2,400 queries) planted into it."""
    gen = np.random.default_rng(7)
    bias = synthetic.dct_bias(gen)
    bank = synthetic.clustered_bank(30_000, gen, bias, max_cluster=500)
    queries = synthetic.planted_queries(300, gen, bias, first_id=10**9)
    hashes = np.concatenate([bank.hashes, queries.planted])
    ids = np.concatenate([bank.ids, queries.planted_ids])
    return synthetic.Bank(hashes, ids, np.zeros(len(ids), np.int64)), queries
