"""RankedWalk: the same entries as walk(), best folders first."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from vigil.errors import SourceError
from vigil.sources.folder import RankedWalk, walk


def tree(root: Path) -> Path:
    for folder in ("a/deep/er", "b", "likely/inner", "z"):
        (root / folder).mkdir(parents=True)
    for name in ("a/1", "a/deep/er/2", "b/3", "likely/4", "likely/inner/5", "z/6", "top"):
        (root / name).write_bytes(name.encode())
    os.symlink("top", root / "link")
    return root


def by_name(path: bytes, mtime: float) -> tuple[tuple[float, ...], tuple[float, ...]]:
    rank = (0.0,) if b"likely" in path else (1.0,)
    return rank, rank


def test_the_same_entries_as_a_plain_walk(tmp_path: Path) -> None:
    root = tree(tmp_path / "t")
    plain = sorted(e.locator.key() for e in walk(root, probe_files=False))
    ranked = sorted(e.locator.key() for e in RankedWalk(root, by_name, probe_files=False))
    assert ranked == plain and len(ranked) == len(set(ranked))


def test_the_best_folders_come_first_and_a_folder_before_its_entries(tmp_path: Path) -> None:
    root = tree(tmp_path / "t")
    order = [os.path.relpath(e.path, os.fsencode(root)) for e in RankedWalk(root, by_name)]
    assert order[:5] == [b".", b"likely", b"likely/4", b"likely/inner", b"likely/inner/5"]
    assert order.index(b"a") < order.index(b"a/1")


def test_counts_say_what_is_still_to_come(tmp_path: Path) -> None:
    root = tree(tmp_path / "t")
    walker = RankedWalk(root, by_name)
    it = iter(walker)
    for _ in range(3):
        next(it)
    assert walker.pending_dirs  # folders met, not listed yet
    rest = list(it)
    assert not walker.pending_dirs and not walker.pending_files
    assert walker.seen_files == 8 and len(rest) > 0


def test_a_missing_root_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError):
        RankedWalk(tmp_path / "missing", by_name)
