"""The library's PDQ searcher: brute force when small, an on-disk index when big, never stale.

Every change to the library must leave the index answering exactly what a
brute-force scan of the library's current entries answers.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import delete, event, insert, select

from vigil.hashsets import library
from vigil.matching import _store, library_sync
from vigil.matching.library_pdq import library_stamp, load_pdq_bank, pdq_searcher
from vigil.matching.pdq_bruteforce import BruteForcePdqIndex
from vigil.matching.pdq_index import PdqIndex
from vigil.store.engine import Store
from vigil.store.schema import hash_entry, hashset

MIN = 100  # index from 100 entries on, so that small libraries exercise it


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


def random_bank(count: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (count, 32), dtype=np.uint8)


def queries_near(*banks: np.ndarray) -> np.ndarray:
    """Queries 0, 20 and 40 bits from rows of every bank: hits, near hits and misses."""
    rng = np.random.default_rng(99)
    parts = [flip_bits(b[:: max(1, len(b) // 30)], d, rng) for b in banks for d in (0, 20, 40)]
    return np.concatenate(parts)


def oracle(store: Store, queries: np.ndarray) -> np.ndarray:
    """What a brute-force scan of the library's current PDQ entries answers."""
    with store.connect() as conn:
        ids, bits = load_pdq_bank(conn)
    return BruteForcePdqIndex(bits, ids).search(queries, 31)


def searcher(store: Store, root: Path, compaction: str = "off") -> PdqIndex:
    """The library's index (no compaction unless asked: tests leave no process behind)."""
    with store.connect() as conn:
        found = pdq_searcher(conn, root, min_entries=MIN, compaction=compaction)  # type: ignore[arg-type]
    assert isinstance(found, PdqIndex)
    return found


@pytest.fixture
def two_sets(store: Store, tmp_path: Path) -> tuple[Store, np.ndarray, np.ndarray]:
    a, b = random_bank(600, 1), random_bank(300, 2)
    library.import_file(store, write_set(tmp_path / "a.csv", a, 1), "a")
    library.import_file(store, write_set(tmp_path / "b.csv", b, 2), "b")
    return store, a, b


def test_index_matches_brute_force_and_is_reused(
    two_sets: tuple[Store, np.ndarray, np.ndarray], tmp_path: Path
) -> None:
    store, a, b = two_sets
    queries = queries_near(a, b)
    root = tmp_path / "index"
    with store.connect() as conn:
        small = pdq_searcher(conn, root)  # under the default size: brute force, no files
    assert isinstance(small, BruteForcePdqIndex) and not root.exists()
    indexed = searcher(store, root)
    expected = oracle(store, queries)
    assert np.array_equal(indexed.search(queries), expected) and len(expected) >= 60
    again = searcher(store, root)
    assert again.generation == indexed.generation  # nothing changed: nothing rewritten


def test_new_version_of_a_set_is_applied_not_rebuilt(
    two_sets: tuple[Store, np.ndarray, np.ndarray], tmp_path: Path
) -> None:
    store, a, b = two_sets
    root = tmp_path / "index"
    with store.connect() as conn:
        before = library_stamp(conn)
    first = searcher(store, root)
    # The same set replaced by other hashes: same name, same count, new content
    # (on SQLite the new rows may even get the old rows' ids).
    other = random_bank(600, 3)
    library.import_file(store, write_set(tmp_path / "a2.csv", other, 3), "a")
    with store.connect() as conn:
        assert library_stamp(conn) != before
    fresh = searcher(store, root)
    queries = queries_near(a, b, other)
    assert np.array_equal(fresh.search(queries), oracle(store, queries))
    assert len(fresh.search(other[:5], 0)) == 5 and len(fresh.search(a[:5], 0)) == 0
    # Incremental: the first build's segment is still there, plus one with the new version.
    assert fresh.segments[0] == first.segments[0] and len(fresh.segments) == 2
    assert fresh.segments[1].rows == 600


def test_sets_added_and_removed_and_never_back(
    two_sets: tuple[Store, np.ndarray, np.ndarray], tmp_path: Path
) -> None:
    store, a, b = two_sets
    root = tmp_path / "index"
    searcher(store, root)
    c = random_bank(200, 4)
    library.import_file(store, write_set(tmp_path / "c.csv", c, 4), "c")
    library.remove_set(store, "b")
    index = searcher(store, root, compaction="off")
    queries = queries_near(a, b, c)
    assert np.array_equal(index.search(queries), oracle(store, queries))
    assert len(index.search(b, 0)) == 0 and len(index.search(c, 0)) == 200
    assert index.tombstone_count == 300
    assert index.compact()  # merged: the deleted rows are gone from disk too
    reopened = searcher(store, root)
    assert len(reopened.segments) == 1 and reopened.stored_rows == 800
    assert np.array_equal(reopened.search(queries), oracle(store, queries))
    assert len(reopened.search(b, 31)) == len(BruteForcePdqIndex(a, np.arange(600)).search(b, 31))


def test_entries_graded_into_a_set_are_diffed_by_id(
    two_sets: tuple[Store, np.ndarray, np.ndarray], tmp_path: Path
) -> None:
    store, a, b = two_sets
    root = tmp_path / "index"
    searcher(store, root)
    graded = random_bank(40, 5)
    with store.begin() as conn:
        set_id = conn.execute(select(hashset.c.id).where(hashset.c.name == "b")).scalar_one()
        first_ids = conn.execute(
            select(hash_entry.c.id).where(hash_entry.c.hashset_id == set_id).limit(25)
        ).scalars()
        conn.execute(delete(hash_entry).where(hash_entry.c.id.in_(list(first_ids))))
        conn.execute(
            insert(hash_entry),
            [{"hashset_id": set_id, "pdq": row.tobytes(), "category": "A"} for row in graded],
        )
        library.bump_revision(conn, set_id)  # every writer of entries does (graded_set too)
    index = searcher(store, root, compaction="off")
    assert index.segments[-1].rows == 40  # only the new entries were read and added
    assert index.tombstone_count == 25
    queries = queries_near(a, b, graded)
    assert np.array_equal(index.search(queries), oracle(store, queries))
    assert len(index.search(b[:25], 0)) == 0 and len(index.search(graded, 0)) == 40


def test_an_unchanged_library_is_not_re_aggregated(
    two_sets: tuple[Store, np.ndarray, np.ndarray], tmp_path: Path
) -> None:
    store, a, b = two_sets
    root = tmp_path / "index"
    searcher(store, root)  # the first build also writes the states cache beside the index
    statements: list[str] = []

    def record(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement.lower())

    event.listen(store.engine, "before_cursor_execute", record)
    try:
        index = searcher(store, root)
        assert not [s for s in statements if "group by" in s]  # heads only: one small query
        library.import_file(store, write_set(tmp_path / "c.csv", random_bank(50, 6), 6), "c")
        statements.clear()
        index = searcher(store, root)
    finally:
        event.remove(store.engine, "before_cursor_execute", record)
    aggregates = [s for s in statements if "group by" in s]
    assert len(aggregates) == 1 and " in (" in aggregates[0]  # only the changed set is read
    queries = queries_near(a, b)
    assert np.array_equal(index.search(queries), oracle(store, queries))


@pytest.mark.parametrize(
    "step",
    [
        (library_sync, "_load"),  # while reading the library
        (_store.SegmentStore, "_publish"),  # new segment written, not yet published
        (_store.SegmentStore, "_write_manifest"),  # all written, manifest not swapped
    ],
    ids=["reading", "publishing", "swapping"],
)
def test_a_crash_mid_update_leaves_a_usable_index(
    step: tuple[object, str],
    two_sets: tuple[Store, np.ndarray, np.ndarray],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store, a, b = two_sets
    root = tmp_path / "index"
    searcher(store, root)
    c = random_bank(200, 6)
    queries = queries_near(a, b, c)
    before = oracle(store, queries)
    library.import_file(store, write_set(tmp_path / "c.csv", c, 6), "c")
    library.remove_set(store, "a")

    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("power cut")

    with monkeypatch.context() as patch:
        patch.setattr(*step, crash)
        with pytest.raises(RuntimeError, match="power cut"):
            searcher(store, root)
    assert not list((root / "pdq").glob("tmp-*"))  # the failed writer left nothing staged
    # Whoever opens the index now gets the state before the change, whole.
    assert np.array_equal(PdqIndex.open(root / "pdq").search(queries), before)
    recovered = searcher(store, root)
    assert np.array_equal(recovered.search(queries), oracle(store, queries))
    assert len(recovered.search(a, 0)) == 0


def test_readers_see_the_state_before_or_after(
    two_sets: tuple[Store, np.ndarray, np.ndarray], tmp_path: Path
) -> None:
    store, a, b = two_sets
    root = tmp_path / "index"
    reader = searcher(store, root)  # a scan worker that opened the index earlier
    queries = queries_near(a, b)
    before = reader.search(queries)
    library.remove_set(store, "a")
    searcher(store, root, compaction="inline")  # another process updates and compacts
    assert np.array_equal(reader.search(queries), before)  # old files stay mapped
    assert reader.refresh()
    assert np.array_equal(reader.search(queries), oracle(store, queries))


def test_compaction_runs_in_a_process_of_its_own(
    two_sets: tuple[Store, np.ndarray, np.ndarray], tmp_path: Path
) -> None:
    store, a, b = two_sets
    root = tmp_path / "index"
    searcher(store, root)
    library.remove_set(store, "b")  # a third of the rows deleted: worth merging
    from vigil.matching import compactor

    index = searcher(store, root, compaction="background")
    assert compactor.needs_compaction(index) and compactor._launched
    assert compactor._launched[-1].wait(timeout=120) == 0
    assert index.refresh() and len(index.segments) == 1 and index.tombstone_count == 0
    assert not compactor.compact_once(root / "pdq")  # nothing left to merge
    queries = queries_near(a, b)
    assert np.array_equal(index.search(queries), oracle(store, queries))


def test_an_index_without_a_record_is_rebuilt(
    two_sets: tuple[Store, np.ndarray, np.ndarray], tmp_path: Path
) -> None:
    store, a, b = two_sets
    root = tmp_path / "index"
    PdqIndex.build(root / "pdq", b, np.arange(300))  # as an older Vigil left it
    index = searcher(store, root)
    assert "library" in index.settings
    queries = queries_near(a, b)
    assert np.array_equal(index.search(queries), oracle(store, queries))
