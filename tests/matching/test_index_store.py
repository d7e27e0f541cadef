"""The directory protocol under both indexes: manifest, tombstones, garbage."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vigil.matching import MatchIndexError, PdqIndex
from vigil.matching._store import SegmentStore
from vigil.matching.synthetic import random_hashes


def test_tombstones_are_dropped_when_no_segment_needs_them(
    rng: np.random.Generator, tmp_path: Path
) -> None:
    index = PdqIndex.build(tmp_path / "idx", random_hashes(500, rng), np.arange(500))
    index.delete([1, 2, 3])
    store = SegmentStore(tmp_path / "idx", "pdq")
    assert len(store.tombstones(store.manifest())) == 3
    index.compact()
    manifest = store.manifest()
    assert manifest.tombstones is None and len(store.tombstones(manifest)) == 0
    assert manifest.segments[0].rows == 497


def test_orphans_are_collected_on_the_next_change(rng: np.random.Generator, tmp_path: Path) -> None:
    index = PdqIndex.build(tmp_path / "idx", random_hashes(100, rng), np.arange(100))
    (tmp_path / "idx" / "seg-00000099-deadbeef").mkdir()  # a writer died after its rename
    (tmp_path / "idx" / "tmp-inprogress").mkdir()  # a writer still at work: left alone
    index.delete([5])
    names = {p.name for p in (tmp_path / "idx").iterdir()}
    assert "seg-00000099-deadbeef" not in names and "tmp-inprogress" in names


def test_not_an_index(tmp_path: Path) -> None:
    (tmp_path / "MANIFEST.json").write_text("{}", encoding="utf-8")
    with pytest.raises(MatchIndexError, match="not a Vigil match index"):
        PdqIndex.open(tmp_path)
    with pytest.raises(MatchIndexError, match="a pdq index, not exact-md5"):
        SegmentStore.create(tmp_path / "p", "pdq", {})
        SegmentStore(tmp_path / "p", "exact-md5").manifest()


def test_one_update_swaps_rows_settings_and_files_together(
    rng: np.random.Generator, tmp_path: Path
) -> None:
    bank = random_hashes(300, rng)
    index = PdqIndex.build(tmp_path / "idx", bank[:200], np.arange(200))
    held = index.stage(np.arange(5))
    assert (tmp_path / "idx" / ("tmp-" + held.removeprefix("file-"))).exists()
    index.update(bank[200:], np.arange(200, 300), delete=[0, 1], settings={"v": 1}, files=(held,))
    assert index.settings == {"v": 1} and index.attached(held).tolist() == [0, 1, 2, 3, 4]
    assert index.search(bank[[0, 1, 2, 250]], 0)["id"].tolist() == [2, 250]
    # A writer that read the settings before this change is refused, and changes nothing.
    stale = PdqIndex.open(tmp_path / "idx")
    index.update(bank[:0], np.arange(0), settings={"v": 2}, files=())
    with pytest.raises(MatchIndexError, match="changed by another writer"):
        stale.update(bank[:1], [999], settings={"v": 3})
    assert stale.refresh() and stale.settings == {"v": 2} and len(stale.search(bank[:1], 0)) == 0
    assert not (tmp_path / "idx" / held).exists()  # detached: collected


def test_an_attach_of_a_file_never_staged_is_refused(tmp_path: Path) -> None:
    store = SegmentStore.create(tmp_path / "s", "pdq", {})
    with pytest.raises(MatchIndexError, match="no staged file"):
        store.update(files=("file-0000.npy",))
    assert store.manifest().generation == 0
