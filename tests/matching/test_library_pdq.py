"""The library's PDQ searcher: brute force when small, an on-disk index when big, never stale."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from vigil.hashsets import library
from vigil.matching.library_pdq import STAMP, library_stamp, pdq_searcher
from vigil.matching.pdq_bruteforce import BruteForcePdqIndex
from vigil.matching.pdq_index import PdqIndex
from vigil.store.engine import Store


def write_set(path: Path, hashes: np.ndarray, seed: int) -> Path:
    lines = ["md5,pdq,category"]
    for i, row in enumerate(hashes):
        md5 = hashlib.md5(f"{seed}-{i}".encode()).hexdigest()
        lines.append(f"{md5},{row.tobytes().hex()},A")
    path.write_text("\n".join(lines) + "\n")
    return path


def flip_bits(rows: np.ndarray, bits: int, rng: np.random.Generator) -> np.ndarray:
    out = rows.copy()
    for row in out:
        for bit in rng.choice(256, bits, replace=False):
            row[bit // 8] ^= 1 << (bit % 8)
    return out


@pytest.fixture
def bank(store: Store, tmp_path: Path) -> tuple[Store, np.ndarray]:
    rng = np.random.default_rng(7)
    hashes = rng.integers(0, 256, (600, 32), dtype=np.uint8)
    library.import_file(store, write_set(tmp_path / "a.csv", hashes, 1), "a")
    return store, hashes


def test_index_matches_brute_force_and_is_reused(
    bank: tuple[Store, np.ndarray], tmp_path: Path
) -> None:
    store, hashes = bank
    rng = np.random.default_rng(8)
    queries = np.concatenate([flip_bits(hashes[:50], 20, rng), flip_bits(hashes[50:80], 40, rng)])
    root = tmp_path / "index"
    with store.connect() as conn:
        small = pdq_searcher(conn, root)  # under the default size: brute force, no files
        indexed = pdq_searcher(conn, root, min_entries=100)
        again = pdq_searcher(conn, root, min_entries=100)
    assert isinstance(small, BruteForcePdqIndex) and isinstance(indexed, PdqIndex)
    expected = small.search(queries, 31)
    assert np.array_equal(indexed.search(queries, 31), expected)
    assert len(expected) >= 50
    assert isinstance(again, PdqIndex) and again.path == indexed.path
    assert (root / "pdq" / STAMP).exists()


def test_a_changed_library_rebuilds_the_index(
    bank: tuple[Store, np.ndarray], tmp_path: Path
) -> None:
    store, hashes = bank
    root = tmp_path / "index"
    with store.connect() as conn:
        before = library_stamp(conn)
        pdq_searcher(conn, root, min_entries=100)
    # The same set replaced by other hashes: same name, same count, new content.
    other = np.random.default_rng(9).integers(0, 256, (600, 32), dtype=np.uint8)
    library.import_file(store, write_set(tmp_path / "a.csv", other, 2), "a")
    with store.connect() as conn:
        assert library_stamp(conn) != before
        fresh = pdq_searcher(conn, root, min_entries=100)
    found = fresh.search(other[:5], 0)
    assert len(found) == 5
    assert len(fresh.search(hashes[:5], 0)) == 0
