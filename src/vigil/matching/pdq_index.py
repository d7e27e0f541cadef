"""The PDQ index: exact Hamming-threshold search over tens of millions of hashes.

Usage::

    index = PdqIndex.build(path, hashes, ids)      # (n, 32) uint8, (n,) int64
    index = PdqIndex.open(path)                    # instant: files are memory-mapped
    found = index.search(queries, threshold=31)    # MATCH_DTYPE rows (query, id, distance)
    index.add(new_hashes, new_ids)                 # a new segment; no rebuild
    index.delete(old_ids)                          # tombstones
    index.compact_in_background()                  # merge segments; searches go on meanwhile
    index.update(hashes, ids, delete=old_ids, settings={...})  # all of it in one atomic swap

Results are exactly those of :class:`~vigil.matching.pdq_bruteforce.BruteForcePdqIndex`:
every entry within the threshold, no other, one row per (query, id, distance).
Each segment is searched by multi-index hashing (``pdq_plan`` has the proof of
exactness, ``pdq_segment`` the layout); queries run in batches, the batches in
a thread pool (numpy releases the GIL in the heavy loops).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from vigil.matching._arrays import (
    PDQ_BYTES,
    PDQ_THRESHOLD,
    Hashes,
    Ids,
    Matches,
    check_digests,
    check_ids,
    check_threshold,
    empty_matches,
    make_matches,
    not_in_sorted,
)
from vigil.matching._store import (
    Manifest,
    SegmentInfo,
    SegmentStore,
    dead_ids,
    in_background,
)
from vigil.matching.pdq_segment import PdqSegment, write_segment

KIND = "pdq"
BATCH_QUERIES = 1024
"""Queries searched together: big enough to amortise numpy's per-call cost, small
enough that one batch's temporaries (~20 MB) stay modest per thread."""


@dataclass(frozen=True, slots=True)
class _Live:
    """A segment with the ids deleted from it since it was written."""

    info: SegmentInfo
    segment: PdqSegment
    dead: npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class _View:
    """What a search reads: swapped whole, so a search never sees half a change."""

    generation: int
    segments: tuple[_Live, ...]
    settings: dict[str, Any] = field(default_factory=dict)
    files: tuple[str, ...] = ()
    tombstones: int = 0


class PdqIndex:
    """A persistent, memory-mapped PDQ index made of immutable segments plus tombstones."""

    def __init__(self, store: SegmentStore) -> None:
        """Use :meth:`build`, :meth:`create` or :meth:`open` rather than this."""
        self._store = store
        self._view = _View(-1, ())
        self.refresh()

    # -- making and opening ------------------------------------------------------

    @classmethod
    def create(cls, path: Path | str) -> PdqIndex:
        """An empty index in a new (or empty) directory."""
        return cls(SegmentStore.create(Path(path), KIND, {"hash_bytes": PDQ_BYTES}))

    @classmethod
    def build(cls, path: Path | str, hashes: npt.ArrayLike, ids: npt.ArrayLike) -> PdqIndex:
        """An index of ``hashes`` (``(n, 32)`` uint8) labelled with ``ids`` (``n`` int64)."""
        index = cls.create(path)
        index.add(hashes, ids)
        return index

    @classmethod
    def open(cls, path: Path | str) -> PdqIndex:
        """Open an existing index; nothing is read until searched (memory-mapped)."""
        return cls(SegmentStore(Path(path), KIND))

    # -- reading -------------------------------------------------------------------

    @property
    def path(self) -> Path:
        """The index directory."""
        return self._store.path

    @property
    def generation(self) -> int:
        """Version of the index this object is reading (raised by every change)."""
        return self._view.generation

    @property
    def segments(self) -> Sequence[SegmentInfo]:
        """The segments being read, oldest first."""
        return [live.info for live in self._view.segments]

    @property
    def settings(self) -> dict[str, Any]:
        """The settings of the state being read (owners keep their own records here)."""
        return self._view.settings

    def attached(self, name: str) -> npt.NDArray[Any]:
        """An array attached by :meth:`update` to the state being read."""
        if name not in self._view.files:
            raise KeyError(f"{name} is not attached to generation {self.generation}")
        loaded: npt.NDArray[Any] = np.load(self.path / name)
        return loaded

    @property
    def tombstone_count(self) -> int:
        """Ids deleted whose rows still sit in segments (until the next compaction)."""
        return self._view.tombstones

    @property
    def stored_rows(self) -> int:
        """Rows held on disk, deleted ones included until the next compaction."""
        return sum(live.info.rows for live in self._view.segments)

    def search(
        self,
        queries: npt.ArrayLike,
        threshold: int = PDQ_THRESHOLD,
        *,
        workers: int | None = None,
    ) -> Matches:
        """Every ``(query, id, distance)`` with distance ≤ ``threshold`` bits.

        ``queries`` is ``(m, 32)`` uint8 — for a scan, the 8 dihedral variants of
        every image, stacked; ``query`` in the result is the row in ``queries``.
        ``workers`` threads (default: the usable CPUs) share the batches.
        """
        qs = check_digests(queries, PDQ_BYTES, "queries")
        limit = check_threshold(threshold)
        view = self._view
        starts = range(0, len(qs), BATCH_QUERIES)

        def one_batch(first: int) -> Matches:
            batch = qs[first : first + BATCH_QUERIES]
            q, ids, dist = [np.empty(0, np.int64)], [np.empty(0, np.int64)], [np.empty(0, np.int16)]
            for live in view.segments:
                seg_q, seg_ids, seg_dist = live.segment.search(batch, limit)
                if len(live.dead):
                    keep = not_in_sorted(seg_ids, live.dead)
                    seg_q, seg_ids, seg_dist = seg_q[keep], seg_ids[keep], seg_dist[keep]
                q.append(seg_q + first)
                ids.append(seg_ids)
                dist.append(seg_dist)
            # A match within the threshold is usually found through several parts:
            # drop the repeats batch by batch, before they pile up (~9 per match).
            return make_matches(np.concatenate(q), np.concatenate(ids), np.concatenate(dist))

        threads = min(workers or _usable_cpus(), len(starts))
        if threads <= 1:
            found = [one_batch(first) for first in starts]
        else:
            with ThreadPoolExecutor(threads, thread_name_prefix="vigil-pdq") as pool:
                found = list(pool.map(one_batch, starts))
        # Batches cover ascending, disjoint query rows, each sorted: joined, they are sorted.
        return np.concatenate(found) if found else empty_matches()

    def live_rows(self) -> tuple[Hashes, Ids]:
        """Every (hash, id) row not deleted — e.g. to load a GPU index (copies into memory)."""
        hashes, ids = [np.empty((0, PDQ_BYTES), np.uint8)], [np.empty(0, np.int64)]
        for live in self._view.segments:
            h, i = live.segment.rows()
            if len(live.dead):
                keep = not_in_sorted(i, live.dead)
                h, i = h[keep], i[keep]
            hashes.append(np.asarray(h))
            ids.append(np.asarray(i))
        return np.concatenate(hashes), np.concatenate(ids)

    def refresh(self) -> bool:
        """Pick up changes made by other writers; True when there were any."""
        loaded = self._store.load_latest(self._load, self._view.generation)
        if loaded is None:
            return False
        self._view = loaded[1]
        return True

    def _load(self, manifest: Manifest, tombstones: npt.NDArray[np.void]) -> _View:
        known = {live.info.name: live.segment for live in self._view.segments}
        segments = []
        for info in manifest.segments:
            segment = known.get(info.name) or PdqSegment(self._store.segment_path(info))
            segments.append(_Live(info, segment, dead_ids(tombstones, info.created)))
        return _View(
            manifest.generation,
            tuple(segments),
            manifest.settings,
            manifest.files,
            len(np.unique(tombstones["id"])),
        )

    # -- changing --------------------------------------------------------------------

    def add(self, hashes: npt.ArrayLike, ids: npt.ArrayLike) -> None:
        """Add entries as a new segment (searched at once, merged by :meth:`compact`)."""
        checked = check_digests(hashes, PDQ_BYTES)
        labels = check_ids(ids, len(checked))
        self._store.add_segment(lambda directory: write_segment(directory, checked, labels))
        self.refresh()

    def stage(self, array: npt.NDArray[Any]) -> str:
        """Store ``array`` for a coming :meth:`update` to attach; returns its file name."""
        return self._store.stage_file(array)

    def discard(self, names: tuple[str, ...]) -> None:
        """Throw away files from :meth:`stage` that no update will attach."""
        self._store.discard_staged(names)

    def update(
        self,
        hashes: npt.ArrayLike,
        ids: npt.ArrayLike,
        *,
        delete: npt.ArrayLike = (),
        settings: dict[str, Any] | None = None,
        files: tuple[str, ...] | None = None,
    ) -> None:
        """Add entries, delete ``delete`` ids, replace settings and files, as one atomic change.

        Readers see all of it or none of it. An id both deleted and added lives
        on with its new hash. ``files`` (from :meth:`stage`, or attached before)
        become the attached files. Raises :class:`MatchIndexError`, changing
        nothing, when another writer changed the settings since this object
        last read them.
        """
        checked = check_digests(hashes, PDQ_BYTES)
        labels = check_ids(ids, len(checked))
        gone = np.unique(np.asarray(delete, dtype=np.int64))
        self._store.update(
            write=(lambda d: write_segment(d, checked, labels)) if len(checked) else None,
            delete=gone if len(gone) else None,
            settings=settings,
            files=files,
            expect_settings=self._view.settings,
        )
        self.refresh()

    def delete(self, ids: npt.ArrayLike) -> None:
        """Delete every entry with one of ``ids`` (tombstones; space comes back on compaction)."""
        if self._store.delete_ids(ids):
            self.refresh()

    def compact(self) -> bool:
        """Merge all segments into one, dropping deleted rows; False when nothing to do.

        Safe while this and other processes search and add: they keep reading
        the old files until they :meth:`refresh`. Two compactions at once: the
        second to finish raises :class:`MatchIndexError` and changes nothing.
        """
        merged = self._store.compact(lambda d: PdqSegment(d).rows(), write_segment)
        if merged:
            self.refresh()
        return merged

    def compact_in_background(self) -> Future[bool]:
        """Run :meth:`compact` in a thread; the future says whether it merged anything."""
        return in_background(self.compact)


def _usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1
