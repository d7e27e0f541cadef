"""Exact digest lookup: every entry with the digest, nothing else, across segment changes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vigil.matching import EXACT_MATCH_DTYPE, ExactIndex, MatchIndexError, digests_from_hex


@pytest.mark.parametrize(("algorithm", "size"), [("md5", 16), ("sha1", 20), ("sha256", 32)])
def test_lookup_finds_all_and_only_equal_digests(
    algorithm: str, size: int, rng: np.random.Generator, tmp_path: Path
) -> None:
    digests = rng.integers(0, 256, (5_000, size), dtype=np.uint8)
    digests[10] = digests[20]  # one digest under two entries
    digests[30, :8] = digests[40, :8]  # same first 8 bytes, different digest
    ids = np.arange(5_000, dtype=np.int64) + 1
    index = ExactIndex.build(tmp_path / algorithm, algorithm, digests, ids)
    stranger = rng.integers(0, 256, (1, size), dtype=np.uint8)
    queries = np.concatenate([digests[[20, 30, 4_999]], stranger, digests[[40]]])
    found = index.lookup(queries)
    assert found.dtype == EXACT_MATCH_DTYPE
    assert found.tolist() == [(0, 11), (0, 21), (1, 31), (2, 5_000), (4, 41)]


def test_hex_round_trip_and_errors(tmp_path: Path) -> None:
    md5s = ["d41d8cd98f00b204e9800998ecf8427e", "0CC175B9C0F1B6A831C399E269772661"]
    digests = digests_from_hex(md5s, "md5")
    assert digests.shape == (2, 16) and digests[1, 0] == 0x0C
    index = ExactIndex.build(tmp_path / "md5", "md5", digests, [7, 8])
    assert index.lookup(digests_from_hex([md5s[1].lower()], "md5"))["id"].tolist() == [8]
    with pytest.raises(ValueError):
        digests_from_hex(["abcd"], "md5")
    with pytest.raises(ValueError, match="unknown digest"):
        ExactIndex.create(tmp_path / "x", "crc32")
    with pytest.raises(ValueError):
        index.lookup(np.zeros((1, 20), np.uint8))
    with pytest.raises(MatchIndexError, match="exact-md5"):
        ExactIndex.open(tmp_path / "md5", "sha1")


def test_add_delete_compact(rng: np.random.Generator, tmp_path: Path) -> None:
    digests = rng.integers(0, 256, (3_000, 20), dtype=np.uint8)
    index = ExactIndex.build(tmp_path / "sha1", "sha1", digests[:2_000], np.arange(2_000))
    index.add(digests[2_000:], np.arange(2_000, 3_000))
    index.delete([1, 2_001])
    index.add(digests[[1]], [1])  # re-added after its delete: live again
    index.add(digests[[5]], [9_999])  # a second entry for a known digest
    queries = digests[[1, 5, 2_001, 2_002]]
    expected = [(0, 1), (1, 5), (1, 9_999), (3, 2_002)]
    assert index.lookup(queries).tolist() == expected
    reader = ExactIndex.open(tmp_path / "sha1", "sha1")
    assert index.compact() is True
    assert len(index.segments) == 1 and index.segments[0].rows == 3_000
    assert index.lookup(queries).tolist() == expected
    assert reader.lookup(queries).tolist() == expected  # still on the old, unlinked files
    assert reader.refresh() is True
    assert index.compact() is False
    assert index.compact_in_background().result(timeout=30) is False


def test_empty_index_and_batch(tmp_path: Path) -> None:
    index = ExactIndex.create(tmp_path / "sha256", "sha256")
    assert len(index.lookup(np.zeros((3, 32), np.uint8))) == 0
    index.add(np.zeros((1, 32), np.uint8), [4])
    assert len(index.lookup(np.zeros((0, 32), np.uint8))) == 0
