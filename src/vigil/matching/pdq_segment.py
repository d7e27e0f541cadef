"""One immutable, memory-mapped block of the PDQ index: the hashes and their key tables.

On disk a segment is a directory of ``.npy`` files opened with
``np.load(mmap_mode="r")``, so opening costs nothing and every process that
opens it shares one copy in the page cache:

``hashes.npy``      (u, 32) uint8  the distinct hashes, sorted (so by part 0's key)
``ids.npy``         (u,) uint32    the first entry id of each hash, minus ``id_base`` (int64
                                   ids when their span does not fit in 32 bits)
``dup_rows.npy``    (k,) uint32    the hashes held under more than one id (absent: none) …
``dup_starts.npy``  (k+1,) uint32  … where each one's other ids start …
``dup_ids.npy``     (m,)           … and those other ids, stored like ``ids``
``offsets_<i>.npy`` (2**w+1,) uint16  bucket ``k`` of part ``i`` starts at
``blocks_<i>.npy``  (2**(w-8)+1,) uint32  ``blocks[k >> 8] + offsets[k]`` and ends where
                                   bucket ``k+1`` starts (no ``blocks`` file: ``offsets`` is
                                   uint32 and absolute, when a block holds ≥ 65,536 rows)
``postings_<i>.npy`` (u,) uint16  hash rows in order of part ``i``'s key, low 16 bits
``postings_high_<i>.npy`` (u,) uint8  and high 8 bits (not for part 0: the hashes are
                                   already in that order); when u > 2**24, ``postings_<i>``
                                   is uint32 and there is no ``postings_high_<i>``
``segment.json``    the parts, the counts, ``id_base`` and each part's expected bucket load

Identical hashes are stored once, with all their ids: national sets hold the
same picture under many entries, and each copy would otherwise be a candidate
to check again. Memory per distinct hash: 32 + 3·(parts−1) bytes of postings,
plus 4 per id and about 2·2**w per part for the bucket tables.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from vigil.matching._arrays import (
    PDQ_BYTES,
    Hashes,
    Ids,
    as_rows,
    check_digests,
    check_ids,
    load_mapped,
    row_distances,
)
from vigil.matching.pdq_plan import (
    COST_SCAN_NS,
    Part,
    allocate_radii,
    bit_frequencies,
    choose_parts,
    flip_masks,
    part_keys,
    part_load,
    search_cost_ns,
)

FORMAT = "vigil-pdq-segment"
FORMAT_VERSION = 2
BLOCK_BITS = 8
"""Buckets per block of the two-level bucket table: 256, so a block's rows fit in 16 bits."""

_Found = tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int16]]
"""(query row, entry id, distance) — not yet sorted or de-duplicated."""


@dataclass(frozen=True, slots=True)
class _Table:
    part: Part
    offsets: npt.NDArray[np.unsignedinteger]  # uint16 within a block, or uint32 absolute
    blocks: npt.NDArray[np.uint32] | None  # where each block of 256 buckets starts
    postings: npt.NDArray[np.unsignedinteger] | None  # None: the hashes are in key order
    high: npt.NDArray[np.uint8] | None  # bits 16-23 of each posting when they are split
    load: float

    def rows_at(self, slots: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """Hash rows at ``slots`` of the postings."""
        if self.postings is None:
            raise RuntimeError("segment postings read before they were loaded")
        if self.high is None:
            return self.postings.take(slots).astype(np.int64)
        rows = self.high.take(slots).astype(np.int64)
        rows <<= 16
        rows |= self.postings.take(slots)
        return rows

    def buckets(
        self, keys: npt.NDArray[np.int64]
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """(first slot, number of slots) of each key's bucket."""
        lo = self.offsets.take(keys).astype(np.int64)
        hi = self.offsets.take(keys + 1).astype(np.int64)
        if self.blocks is not None:
            lo += self.blocks.take(keys >> BLOCK_BITS)
            hi += self.blocks.take((keys + 1) >> BLOCK_BITS)
        return lo, hi - lo


def write_segment(
    directory: Path, hashes: Hashes, ids: Ids, parts: tuple[Part, ...] | None = None
) -> int:
    """Build a segment of ``hashes`` with ``ids`` into the empty ``directory``; return its rows."""
    hashes = check_digests(hashes, PDQ_BYTES)
    ids = check_ids(ids, len(hashes))
    if len(hashes) >= 1 << 32:
        raise ValueError("a segment holds fewer than 2**32 hashes")
    # Sorting by the four big-endian words groups identical hashes and, as the
    # first part is a prefix of word 0, also orders the rows by part 0's key.
    words = hashes.view(">u8")
    order = np.lexsort((ids, words[:, 3], words[:, 2], words[:, 1], words[:, 0]))
    hashes = hashes[order]
    ids = ids[order]
    words = hashes.view(np.uint64)
    first = np.ones(len(hashes), dtype=bool)
    first[1:] = np.any(words[1:] != words[:-1], axis=1)
    unique = np.ascontiguousarray(hashes[first])
    freq = bit_frequencies(unique)
    parts = parts or choose_parts(len(unique), freq)
    if parts[0].start != 0:
        raise ValueError("part 0 must start at bit 0: the sorted hashes serve as its postings")
    np.save(directory / "hashes.npy", unique)
    id_base = int(ids.min()) if len(ids) else 0
    narrow = len(ids) and int(ids.max()) - id_base < 1 << 32
    stored = (ids - id_base).astype(np.uint32) if narrow else ids
    np.save(directory / "ids.npy", stored[first])
    if len(unique) != len(ids):
        # The few hashes held under several ids keep the others aside, so that
        # the common case costs no per-hash start offset.
        extra = ~first
        rows, counts = np.unique(np.cumsum(first)[extra] - 1, return_counts=True)
        np.save(directory / "dup_rows.npy", rows.astype(np.uint32))
        np.save(directory / "dup_starts.npy", np.append(0, np.cumsum(counts)).astype(np.uint32))
        np.save(directory / "dup_ids.npy", stored[extra])
    for i, part in enumerate(parts):
        _write_table(directory, i, unique, part)
    loads = [part_load(len(unique), part, freq) for part in parts]
    meta = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "rows": len(ids),
        "unique": len(unique),
        "id_base": id_base if narrow else 0,
        "parts": [[p.start, p.width] for p in parts],
        "loads": loads,
    }
    (directory / "segment.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    return len(ids)


def _write_table(directory: Path, index: int, unique: Hashes, part: Part) -> None:
    """Write part ``index``'s bucket offsets (and, but for part 0, its postings)."""
    keys = part_keys(unique, part)
    counts = np.bincount(keys, minlength=1 << part.width)
    offsets = np.zeros(len(counts) + 1, dtype=np.uint32)
    np.cumsum(counts, out=offsets[1:])
    # Two levels halve the table: where each block of 256 buckets starts (uint32),
    # and each bucket's start within its block (uint16) — unless a block is too full.
    blocks = offsets[:: 1 << BLOCK_BITS].copy()
    within = offsets - np.repeat(blocks, 1 << BLOCK_BITS)[: len(offsets)]
    if part.width > BLOCK_BITS and int(within.max()) < 1 << 16:
        np.save(directory / f"blocks_{index}.npy", blocks)
        np.save(directory / f"offsets_{index}.npy", within.astype(np.uint16))
    else:
        np.save(directory / f"offsets_{index}.npy", offsets)
    if index > 0:
        order = np.argsort(keys).astype(np.uint32)
        if len(unique) <= 1 << 24:
            # Three bytes per posting, as a low uint16 and a high uint8 array: a
            # quarter less memory, and two plain take()s cost about what one did.
            np.save(directory / f"postings_{index}.npy", (order & 0xFFFF).astype(np.uint16))
            np.save(directory / f"postings_high_{index}.npy", (order >> 16).astype(np.uint8))
        else:
            np.save(directory / f"postings_{index}.npy", order)


class PdqSegment:
    """A memory-mapped segment, searched with multi-index hashing (see ``pdq_plan``)."""

    def __init__(self, directory: Path) -> None:
        meta = json.loads((directory / "segment.json").read_text(encoding="utf-8"))
        if meta.get("format") != FORMAT or meta.get("version") != FORMAT_VERSION:
            raise ValueError(f"{directory}: not a {FORMAT} v{FORMAT_VERSION} segment")
        self.directory = directory
        self.hashes: Hashes = load_mapped(directory / "hashes.npy")
        self._rows = as_rows(self.hashes)
        self._ids: npt.NDArray[np.integer] = load_mapped(directory / "ids.npy")
        self._id_base = int(meta.get("id_base", 0))
        self._dups: tuple[npt.NDArray[np.uint32], npt.NDArray[np.uint32], Any] | None = None
        if (directory / "dup_rows.npy").exists():
            self._dups = (
                load_mapped(directory / "dup_rows.npy"),
                load_mapped(directory / "dup_starts.npy"),
                load_mapped(directory / "dup_ids.npy"),
            )
        self._tables: list[_Table] = []
        for i, ((start, width), load) in enumerate(zip(meta["parts"], meta["loads"], strict=True)):
            blocks = directory / f"blocks_{i}.npy"
            high = directory / f"postings_high_{i}.npy"
            self._tables.append(
                _Table(
                    Part(start, width),
                    load_mapped(directory / f"offsets_{i}.npy"),
                    load_mapped(blocks) if blocks.exists() else None,
                    load_mapped(directory / f"postings_{i}.npy") if i > 0 else None,
                    load_mapped(high) if high.exists() else None,
                    float(load),
                )
            )

    def __len__(self) -> int:
        return len(self._ids) + (len(self._dups[2]) if self._dups is not None else 0)

    def _ids_at(self, slots: npt.NDArray[np.int64], stored: npt.NDArray[Any] | None = None) -> Ids:
        """Entry ids at ``slots`` of ``stored`` (default: the first id of each hash), as int64."""
        ids: Ids = (self._ids if stored is None else stored).take(slots).astype(np.int64)
        if self._id_base:
            ids += self._id_base
        return ids

    @property
    def parts(self) -> tuple[Part, ...]:
        """The cut of the 256 bits this segment was built with."""
        return tuple(t.part for t in self._tables)

    def radii(self, threshold: int) -> tuple[int, ...]:
        """Search radius per part for ``threshold``, from the measured bucket loads."""
        return allocate_radii(
            [t.part.width for t in self._tables], [t.load for t in self._tables], threshold
        )

    def uses_scan(self, threshold: int) -> bool:
        """True when a plain scan is cheaper than the tables (tiny segment or huge threshold)."""
        widths = [t.part.width for t in self._tables]
        loads = [t.load for t in self._tables]
        return search_cost_ns(widths, loads, self.radii(threshold)) > COST_SCAN_NS * len(
            self.hashes
        )

    def search(self, queries: Hashes, threshold: int) -> _Found:
        """Matches of a ``(m, 32)`` query batch; may repeat a row, never misses one."""
        if len(self.hashes) == 0 or len(queries) == 0:
            return _nothing()
        qrows = as_rows(np.ascontiguousarray(queries))
        if self.uses_scan(threshold):
            q, pos, dist = self._scan(qrows, threshold)
        else:
            found = [
                self._probe(table, radius, queries, qrows, threshold)
                for table, radius in zip(self._tables, self.radii(threshold), strict=True)
                if radius >= 0
            ]
            q = np.concatenate([f[0] for f in found])
            pos = np.concatenate([f[1] for f in found])
            dist = np.concatenate([f[2] for f in found])
        return self._with_ids(q, pos, dist)

    def _probe(
        self,
        table: _Table,
        radius: int,
        queries: Hashes,
        qrows: npt.NDArray[np.void],
        threshold: int,
    ) -> _Found:
        """Look up every key within ``radius`` of each query's key in one part; verify."""
        masks = flip_masks(table.part.width, radius)
        probes = (part_keys(queries, table.part)[:, None] ^ masks[None, :]).reshape(-1)
        lo, counts = table.buckets(probes)
        hit = np.flatnonzero(counts)
        lo = lo[hit]
        counts = counts[hit]
        q = np.repeat(hit // len(masks), counts)
        # Expand each bucket [lo, lo+count) into its positions, without a loop.
        ends = np.cumsum(counts)
        slots = np.repeat(lo - (ends - counts), counts) + np.arange(
            int(ends[-1]) if len(ends) else 0
        )
        pos = slots if table.postings is None else table.rows_at(slots)
        dist = row_distances(self._rows.take(pos), qrows.take(q))
        keep = np.flatnonzero(dist <= threshold)
        return q[keep], pos[keep], dist[keep]

    def _scan(self, qrows: npt.NDArray[np.void], threshold: int) -> _Found:
        """Compare every query with every hash (small segments, large thresholds)."""
        n = len(self._rows)
        found: list[_Found] = []
        step = max(1, (1 << 20) // n)
        for first in range(0, len(qrows), step):
            block = qrows[first : first + step]
            q = np.repeat(np.arange(len(block), dtype=np.int64), n)
            pos = np.tile(np.arange(n, dtype=np.int64), len(block))
            dist = row_distances(np.tile(self._rows, len(block)), np.repeat(block, n))
            keep = np.flatnonzero(dist <= threshold)
            found.append((q[keep] + first, pos[keep], dist[keep]))
        return (
            np.concatenate([f[0] for f in found]),
            np.concatenate([f[1] for f in found]),
            np.concatenate([f[2] for f in found]),
        )

    def _with_ids(
        self, q: npt.NDArray[np.int64], pos: npt.NDArray[np.int64], dist: npt.NDArray[np.int16]
    ) -> _Found:
        """Turn hash rows into entry ids (one row per id when a hash has several)."""
        ids = self._ids_at(pos)
        if self._dups is None or len(pos) == 0:
            return q, ids, dist
        dup_rows, dup_starts, dup_ids = self._dups
        at = np.searchsorted(dup_rows, pos.astype(np.uint32))  # same dtype: no copy of dup_rows
        has = np.flatnonzero(dup_rows.take(np.minimum(at, len(dup_rows) - 1)) == pos)
        lo = dup_starts.take(at[has]).astype(np.int64)
        counts = dup_starts.take(at[has] + 1).astype(np.int64) - lo
        ends = np.cumsum(counts)
        total = int(ends[-1]) if len(ends) else 0
        slots = np.repeat(lo - (ends - counts), counts) + np.arange(total)
        return (
            np.concatenate([q, np.repeat(q[has], counts)]),
            np.concatenate([ids, self._ids_at(slots, dup_ids)]),
            np.concatenate([dist, np.repeat(dist[has], counts)]),
        )

    def rows(self) -> tuple[Hashes, Ids]:
        """Every (hash, id) row, one per id: what compaction copies into a new segment."""
        hashes = np.asarray(self.hashes)
        ids = self._ids_at(np.arange(len(self._ids)))
        if self._dups is None:
            return hashes, ids
        dup_rows, dup_starts, dup_ids = self._dups
        starts = dup_starts.astype(np.int64)
        counts: npt.NDArray[np.int64] = starts[1:] - starts[:-1]
        extra = np.repeat(dup_rows.astype(np.int64), counts)
        return (
            np.concatenate([hashes, hashes[extra]]),
            np.concatenate([ids, self._ids_at(np.arange(len(dup_ids)), dup_ids)]),
        )


def _nothing() -> _Found:
    return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.int16)
