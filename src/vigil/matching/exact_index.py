"""Exact MD5 / SHA-1 / SHA-256 lookup in sorted, memory-mapped arrays.

Usage::

    index = ExactIndex.build(path, "md5", digests, ids)   # (n, 16) uint8, (n,) int64
    found = ExactIndex.open(path).lookup(queries)         # EXACT_MATCH_DTYPE (query, id)

A segment stores the digests sorted by their first 8 bytes, split in two
arrays so that nothing is stored twice: ``keys.npy`` (those 8 bytes as a
big-endian number, uint64) and ``tails.npy`` (the other bytes). A lookup is one
``np.searchsorted`` for the whole batch on ``keys``, then a byte comparison of
the tails inside each (almost always one-row) range — so every entry with the
digest is returned, duplicates included. Memory: the digest itself plus 8 bytes
of id per entry (MD5 at 100M: 2.4 GB, shared by all processes through the
page cache). Adds, tombstones and compaction work as in the PDQ index (see
``_store``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from concurrent.futures import Future
from pathlib import Path

import numpy as np
import numpy.typing as npt

from vigil.matching._arrays import (
    Hashes,
    Ids,
    check_digests,
    check_ids,
    load_mapped,
    not_in_sorted,
)
from vigil.matching._store import (
    Manifest,
    SegmentInfo,
    SegmentStore,
    dead_ids,
    in_background,
)

KIND_PREFIX = "exact-"
DIGEST_BYTES = {"md5": 16, "sha1": 20, "sha256": 32}
EXACT_MATCH_DTYPE = np.dtype([("query", "<i8"), ("id", "<i8")])
"""One hit: row of the queried batch and id of an entry with that digest."""

_KEY_BYTES = 8


def digests_from_hex(values: Iterable[str], algorithm: str) -> Hashes:
    """Parse hex digests (either case) into the ``(n, size)`` array :meth:`lookup` takes."""
    size = _digest_size(algorithm)
    raw = b"".join(bytes.fromhex(v.strip()) for v in values)
    if len(raw) % size:
        raise ValueError(f"every {algorithm} digest is {2 * size} hex digits")
    return np.frombuffer(raw, dtype=np.uint8).reshape(-1, size).copy()


def _digest_size(algorithm: str) -> int:
    try:
        return DIGEST_BYTES[algorithm]
    except KeyError:
        raise ValueError(
            f"unknown digest {algorithm!r}: use one of {sorted(DIGEST_BYTES)}"
        ) from None


def _split(digests: Hashes) -> tuple[npt.NDArray[np.uint64], Hashes]:
    """(first 8 bytes as a number that sorts like the bytes, the remaining bytes)."""
    keys = np.ascontiguousarray(digests[:, :_KEY_BYTES]).view(">u8").reshape(-1)
    return keys.astype(np.uint64), np.ascontiguousarray(digests[:, _KEY_BYTES:])


def write_exact_segment(directory: Path, digests: Hashes, ids: Ids) -> int:
    """Write a sorted segment of ``digests`` with ``ids`` into ``directory``; return rows."""
    keys, tails = _split(digests)
    order = np.argsort(keys, kind="stable")
    np.save(directory / "keys.npy", keys[order])
    np.save(directory / "tails.npy", tails[order])
    np.save(directory / "ids.npy", ids[order])
    meta = {"format": "vigil-exact-segment", "version": 1, "rows": len(ids)}
    (directory / "segment.json").write_text(json.dumps(meta) + "\n", encoding="utf-8")
    return len(ids)


class ExactSegment:
    """One memory-mapped sorted segment."""

    def __init__(self, directory: Path) -> None:
        self.keys: npt.NDArray[np.uint64] = load_mapped(directory / "keys.npy")
        self.tails: Hashes = load_mapped(directory / "tails.npy")
        self.ids: Ids = load_mapped(directory / "ids.npy")
        width = self.tails.shape[1]
        # One record per tail lets a single take() copy a whole tail.
        self._tail_rows = self.tails.view(np.dtype((np.void, width))).reshape(-1) if width else None

    def lookup(
        self, keys: npt.NDArray[np.uint64], tails: Hashes
    ) -> tuple[npt.NDArray[np.int64], Ids]:
        """(query row, id) of every stored digest equal to a query digest."""
        lo = np.searchsorted(self.keys, keys, side="left")
        hi = np.searchsorted(self.keys, keys, side="right")
        counts = (hi - lo).astype(np.int64)
        ends = np.cumsum(counts)
        total = int(ends[-1]) if len(ends) else 0
        rows = np.repeat(lo - (ends - counts), counts) + np.arange(total)
        query = np.repeat(np.arange(len(keys), dtype=np.int64), counts)
        if self._tail_rows is not None:
            width = tails.shape[1]
            wanted = tails.view(np.dtype((np.void, width))).reshape(-1)
            same = self._tail_rows.take(rows) == wanted.take(query)
            rows, query = rows[same], query[same]
        return query, self.ids.take(rows)

    def rows(self) -> tuple[Hashes, Ids]:
        """Every (digest, id) row, for compaction."""
        head = np.asarray(self.keys).astype(">u8").view(np.uint8).reshape(-1, _KEY_BYTES)
        return np.hstack([head, np.asarray(self.tails)]), np.asarray(self.ids)


_Segments = tuple[tuple[SegmentInfo, ExactSegment, npt.NDArray[np.int64]], ...]
"""Each segment with the ids deleted from it since it was written."""


class ExactIndex:
    """A persistent index from one kind of cryptographic digest to entry ids."""

    def __init__(self, store: SegmentStore, algorithm: str) -> None:
        """Use :meth:`build`, :meth:`create` or :meth:`open` rather than this."""
        self._store = store
        self.algorithm = algorithm
        self.digest_size = _digest_size(algorithm)
        self._generation = -1
        self._segments: _Segments = ()
        self.refresh()

    @classmethod
    def create(cls, path: Path | str, algorithm: str) -> ExactIndex:
        """An empty index of ``algorithm`` digests ("md5", "sha1" or "sha256")."""
        size = _digest_size(algorithm)
        store = SegmentStore.create(Path(path), KIND_PREFIX + algorithm, {"digest_bytes": size})
        return cls(store, algorithm)

    @classmethod
    def build(
        cls, path: Path | str, algorithm: str, digests: npt.ArrayLike, ids: npt.ArrayLike
    ) -> ExactIndex:
        """An index of ``digests`` (``(n, size)`` uint8) labelled with ``ids``."""
        index = cls.create(path, algorithm)
        index.add(digests, ids)
        return index

    @classmethod
    def open(cls, path: Path | str, algorithm: str) -> ExactIndex:
        """Open an existing index (memory-mapped; instant)."""
        return cls(SegmentStore(Path(path), KIND_PREFIX + algorithm), algorithm)

    @property
    def segments(self) -> list[SegmentInfo]:
        """The segments being read, oldest first."""
        return [info for info, _, _ in self._segments]

    def lookup(self, digests: npt.ArrayLike) -> npt.NDArray[np.void]:
        """Every ``(query, id)`` whose entry has exactly the queried digest, sorted."""
        queries = check_digests(digests, self.digest_size, "digests")
        keys, tails = _split(queries)
        # Searching in sorted order walks the big array forwards: far fewer cache misses.
        order = np.argsort(keys)
        keys, tails = keys[order], tails[order]
        found_q, found_id = [], []
        for _, segment, dead in self._segments:
            q, ids = segment.lookup(keys, tails)
            if len(dead):
                keep = not_in_sorted(ids, dead)
                q, ids = q[keep], ids[keep]
            found_q.append(order[q])
            found_id.append(ids)
        out = np.empty(sum(len(q) for q in found_q), dtype=EXACT_MATCH_DTYPE)
        if len(out):
            out["query"] = np.concatenate(found_q)
            out["id"] = np.concatenate(found_id)
            out = out[np.lexsort((out["id"], out["query"]))]
        return out

    def refresh(self) -> bool:
        """Pick up changes made by other writers; True when there were any."""
        loaded = self._store.load_latest(self._load, self._generation)
        if loaded is None:
            return False
        self._generation, self._segments = loaded
        return True

    def _load(self, manifest: Manifest, tombstones: npt.NDArray[np.void]) -> _Segments:
        known = {info.name: segment for info, segment, _ in self._segments}
        return tuple(
            (
                info,
                known.get(info.name) or ExactSegment(self._store.segment_path(info)),
                dead_ids(tombstones, info.created),
            )
            for info in manifest.segments
        )

    def add(self, digests: npt.ArrayLike, ids: npt.ArrayLike) -> None:
        """Add entries as a new segment."""
        checked = check_digests(digests, self.digest_size, "digests")
        labels = check_ids(ids, len(checked))
        self._store.add_segment(lambda d: write_exact_segment(d, checked, labels))
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
        merged = self._store.compact(lambda d: ExactSegment(d).rows(), write_exact_segment)
        if merged:
            self.refresh()
        return merged

    def compact_in_background(self) -> Future[bool]:
        """Run :meth:`compact` in a thread; the future says whether it merged anything."""
        return in_background(self.compact)
