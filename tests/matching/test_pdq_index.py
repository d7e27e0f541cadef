"""The fast PDQ index must return exactly what the brute-force oracle returns."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from vigil.matching import BruteForcePdqIndex, MatchIndexError, PdqIndex, synthetic
from vigil.matching import pdq_index as pdq_index_module
from vigil.matching.synthetic import flip_exact, random_hashes


def _oracle(hashes: np.ndarray, ids: np.ndarray, queries: np.ndarray, threshold: int = 31):
    return BruteForcePdqIndex(hashes, ids).search(queries, threshold)


def _near_and_far(rng: np.random.Generator, bank: np.ndarray) -> np.ndarray:
    """Queries at exactly 0, 1, 15, 30, 31, 32, 33 and 40 bits from bank rows, plus strangers."""
    picks = rng.integers(0, len(bank), size=160)
    distances = np.tile(np.array([0, 1, 15, 30, 31, 32, 33, 40]), 20)
    return np.concatenate([flip_exact(bank[picks], distances, rng), random_hashes(40, rng)])


@pytest.mark.parametrize("rows", [300, 5_000, 40_000])
def test_random_bank_equals_oracle(rows: int, rng: np.random.Generator, tmp_path: Path) -> None:
    bank = random_hashes(rows, rng)
    ids = rng.permutation(rows).astype(np.int64) * 7
    queries = _near_and_far(rng, bank)
    index = PdqIndex.build(tmp_path / "idx", bank, ids)
    for threshold in (0, 1, 31, 32):
        found = index.search(queries, threshold)
        assert np.array_equal(found, _oracle(bank, ids, queries, threshold)), threshold
    at_31 = index.search(queries)
    assert 31 in at_31["distance"] and 32 not in at_31["distance"]


def test_clustered_bank_equals_oracle_and_finds_every_plant(
    clustered: tuple[synthetic.Bank, synthetic.Queries], tmp_path: Path
) -> None:
    bank, queries = clustered
    index = PdqIndex.build(tmp_path / "idx", bank.hashes, bank.ids)
    found = index.search(queries.hashes)
    assert np.array_equal(found, _oracle(bank.hashes, bank.ids, queries.hashes))
    got = {(int(q), int(i)): int(d) for q, i, d in found.tolist()}
    for q, i, d in zip(
        queries.planted_query, queries.planted_ids, queries.planted_distance, strict=True
    ):
        assert got.get((int(q), int(i))) == (int(d) if d <= 31 else None)


def test_duplicates_and_extremes(rng: np.random.Generator, tmp_path: Path) -> None:
    bank = random_hashes(2_000, rng)
    bank[100:150] = bank[99]  # one picture under 51 entries
    ids = np.arange(2_000, dtype=np.int64)
    ids[7] = ids[8]  # one entry id with two hashes
    queries = np.concatenate([bank[[99, 7, 8]], ~bank[:2]])  # ~: the complement, 256 bits away
    index = PdqIndex.build(tmp_path / "idx", bank, ids)
    for threshold in (31, 200, 255):
        assert np.array_equal(
            index.search(queries, threshold), _oracle(bank, ids, queries, threshold)
        )
    assert len(index.search(queries[:1])) == 51


def test_compact_layouts_and_their_fallbacks(rng: np.random.Generator, tmp_path: Path) -> None:
    """Narrow ids, split postings and two-level tables where they fit; wide ones where not."""
    bank = random_hashes(3_000, rng)
    bank[:1_000] = bank[0]  # one hash under 1,000 ids
    wide_ids = rng.permutation(3_000).astype(np.int64) * (1 << 30) - (1 << 40)  # span > 2**32
    narrow_ids = rng.permutation(3_000).astype(np.int64) + 5_000_000_000
    queries = _near_and_far(rng, bank)
    for name, ids in (("wide", wide_ids), ("narrow", narrow_ids)):
        index = PdqIndex.build(tmp_path / name, bank, ids)
        segment = index._view.segments[0].segment
        assert np.load(segment.directory / "ids.npy").dtype == (
            np.int64 if name == "wide" else np.uint32
        )
        assert np.array_equal(index.search(queries), _oracle(bank, ids, queries))
        hashes, rows = index.live_rows()
        assert sorted(rows.tolist()) == sorted(ids.tolist()) and len(hashes) == 3_000
    # 70k hashes sharing their first 32 bits: part 0's buckets overflow 16-bit offsets.
    crowded = random_hashes(70_000, rng)
    crowded[:, :4] = 0
    index = PdqIndex.build(tmp_path / "crowded", crowded, np.arange(70_000))
    directory = index._view.segments[0].segment.directory
    assert not (directory / "blocks_0.npy").exists() and (directory / "blocks_2.npy").exists()
    assert np.load(directory / "offsets_0.npy").dtype == np.uint32
    assert (directory / "postings_high_1.npy").exists()
    queries = _near_and_far(rng, crowded[:500])
    assert np.array_equal(index.search(queries), _oracle(crowded, np.arange(70_000), queries))


def test_workers_and_batches_do_not_change_the_answer(
    rng: np.random.Generator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bank = random_hashes(20_000, rng)
    queries = _near_and_far(rng, bank)
    index = PdqIndex.build(tmp_path / "idx", bank, np.arange(20_000))
    expected = _oracle(bank, np.arange(20_000), queries)  # brute force, not the index itself
    assert np.array_equal(index.search(queries, workers=1), expected)
    monkeypatch.setattr(pdq_index_module, "BATCH_QUERIES", 7)
    assert np.array_equal(index.search(queries, workers=3), expected)


def test_persisted_and_shared(rng: np.random.Generator, tmp_path: Path) -> None:
    bank = random_hashes(3_000, rng)
    PdqIndex.build(tmp_path / "idx", bank, np.arange(3_000))
    reopened = PdqIndex.open(tmp_path / "idx")
    assert reopened.stored_rows == 3_000
    assert reopened.search(bank[:5])["id"].tolist() == [0, 1, 2, 3, 4]
    segment = reopened._view.segments[0].segment
    assert isinstance(np.load(segment.directory / "hashes.npy", mmap_mode="r"), np.memmap)


def test_add_delete_and_readd(rng: np.random.Generator, tmp_path: Path) -> None:
    first = random_hashes(4_000, rng)
    index = PdqIndex.build(tmp_path / "idx", first, np.arange(4_000))
    second = random_hashes(500, rng)
    index.add(second, np.arange(10_000, 10_500))
    index.delete([0, 1, 10_000, 999_999])
    index.add(first[:1], [0])  # id 0 comes back, with its old hash, in a newer segment
    queries = np.concatenate([first[:3], second[:2]])
    assert index.search(queries).tolist() == [(0, 0, 0), (2, 2, 0), (4, 10_001, 0)]
    assert len(index.segments) == 3
    # The same answers as an oracle over the live rows.
    hashes, ids = index.live_rows()
    assert np.array_equal(index.search(queries), _oracle(hashes, ids, queries))


def test_compact_merges_and_drops_deleted(rng: np.random.Generator, tmp_path: Path) -> None:
    bank = random_hashes(6_000, rng)
    index = PdqIndex.build(tmp_path / "idx", bank[:5_000], np.arange(5_000))
    index.add(bank[5_000:], np.arange(5_000, 6_000))
    index.delete(np.arange(0, 6_000, 3))
    queries = _near_and_far(rng, bank)
    before = index.search(queries)
    reader = PdqIndex.open(tmp_path / "idx")  # another reader, mapped to the old files
    assert index.compact() is True
    assert len(index.segments) == 1 and index.stored_rows == 4_000
    assert np.array_equal(index.search(queries), before)
    assert np.array_equal(reader.search(queries), before)  # old files still mapped
    assert reader.refresh() is True and len(reader.segments) == 1
    leftovers = sorted(p.name for p in (tmp_path / "idx").iterdir())
    assert leftovers == ["LOCK", "MANIFEST.json", index.segments[0].name]
    assert index.compact() is False


def test_changes_during_a_compaction_survive_it(
    rng: np.random.Generator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bank = random_hashes(3_000, rng)
    index = PdqIndex.build(tmp_path / "idx", bank[:2_000], np.arange(2_000))
    index.add(bank[2_000:2_500], np.arange(2_000, 2_500))
    other = PdqIndex.open(tmp_path / "idx")
    real_write = pdq_index_module.write_segment
    calls = []

    def write_while_others_change(directory: Path, hashes: np.ndarray, ids: np.ndarray) -> int:
        calls.append(len(ids))
        if len(calls) == 1:  # the compaction's write; the add below writes too
            other.delete([5, 2_100])  # deletes rows that are being merged right now
            other.add(bank[2_500:], np.arange(2_500, 3_000))
        return real_write(directory, hashes, ids)

    monkeypatch.setattr(pdq_index_module, "write_segment", write_while_others_change)
    assert index.compact() is True
    found = index.search(bank[[5, 6, 2_100, 2_600]])
    assert found["id"].tolist() == [6, 2_600]
    assert calls == [2_500, 500]
    assert [s.rows for s in index.segments] == [2_500, 500]


def test_background_compaction_while_searching(rng: np.random.Generator, tmp_path: Path) -> None:
    bank = random_hashes(8_000, rng)
    index = PdqIndex.build(tmp_path / "idx", bank[:4_000], np.arange(4_000))
    for first in range(4_000, 8_000, 1_000):
        index.add(bank[first : first + 1_000], np.arange(first, first + 1_000))
    queries = _near_and_far(rng, bank)
    expected = index.search(queries)
    future = index.compact_in_background()
    answers = []
    while not future.done():
        answers.append(index.search(queries[:50]))
    assert future.result(timeout=60) is True
    assert all(np.array_equal(a, expected[expected["query"] < 50]) for a in answers)
    assert np.array_equal(index.search(queries), expected)


def test_empty_and_bad_inputs(rng: np.random.Generator, tmp_path: Path) -> None:
    index = PdqIndex.create(tmp_path / "idx")
    assert len(index.search(random_hashes(4, rng))) == 0
    index.add(np.empty((0, 32), np.uint8), np.empty(0, np.int64))
    assert index.segments == []
    with pytest.raises(ValueError):
        index.search(np.zeros((2, 16), np.uint8))
    with pytest.raises(ValueError):
        index.add(random_hashes(2, rng), [1])
    with pytest.raises(MatchIndexError, match="not empty"):
        PdqIndex.create(tmp_path / "idx")
    with pytest.raises(MatchIndexError, match="no index"):
        PdqIndex.open(tmp_path / "nothing")


def test_what_an_index_says_of_itself(rng: np.random.Generator, tmp_path: Path) -> None:
    """Generation, settings, stored rows and tombstones, and when a refresh sees a change."""
    bank = random_hashes(100, rng)
    index = PdqIndex.create(tmp_path / "idx")
    assert (index.generation, index.settings, index.stored_rows, index.tombstone_count) == (
        0,
        {"hash_bytes": 32},
        0,
        0,
    )
    assert index.path == tmp_path / "idx"
    index.add(bank, np.arange(100))
    assert (index.generation, index.stored_rows, index.refresh()) == (1, 100, False)
    reader = PdqIndex.open(tmp_path / "idx")
    assert (reader.generation, reader.settings, reader.refresh()) == (1, {"hash_bytes": 32}, False)
    index.delete([1, 2, 2, 999])  # 999 was never there: a tombstone all the same
    assert (index.generation, index.tombstone_count, index.stored_rows) == (2, 3, 100)
    assert reader.refresh() is True and reader.refresh() is False
    assert (reader.generation, reader.tombstone_count) == (2, 3)
    assert reader.search(bank[:3])["id"].tolist() == [0]
    hashes, ids = reader.live_rows()
    order = np.argsort(ids)  # rows come in the segment's layout order
    assert ids[order].tolist() == [i for i in range(100) if i not in (1, 2)]
    assert np.array_equal(hashes[order], np.delete(bank, [1, 2], axis=0))


def test_no_queries_no_matches_in_the_match_layout(
    rng: np.random.Generator, tmp_path: Path
) -> None:
    index = PdqIndex.build(tmp_path / "idx", random_hashes(50, rng), np.arange(50))
    for workers in (None, 1, 4):
        found = index.search(np.empty((0, 32), np.uint8), workers=workers)
        assert len(found) == 0 and found.dtype.names == ("query", "id", "distance")
    empty = PdqIndex.create(tmp_path / "empty")
    assert empty.live_rows()[0].shape == (0, 32) and empty.live_rows()[1].dtype == np.int64


def test_search_threads_default_to_the_usable_cpus() -> None:
    assert pdq_index_module._usable_cpus() == len(os.sched_getaffinity(0))


def test_bad_queries_are_named_as_queries(tmp_path: Path) -> None:
    index = PdqIndex.create(tmp_path / "idx")
    with pytest.raises(ValueError) as caught:
        index.search(np.zeros((2, 16), np.uint8))
    assert str(caught.value) == "queries must be a (n, 32) uint8 array, not uint8 (2, 16)"
