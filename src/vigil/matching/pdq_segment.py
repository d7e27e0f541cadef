"""One immutable, memory-mapped block of the PDQ index: the hashes and their key tables.

On disk a segment is a directory of ``.npy`` files opened with
``np.load(mmap_mode="r")``, so opening costs nothing and every process that
opens it shares one copy in the page cache:

``hashes.npy``      (u, 32) uint8  the distinct hashes, sorted (so by part 0's key)
``ids.npy``         (n,) int64     entry ids, grouped by hash, in hash order
``id_starts.npy``   (u+1,) uint32  where each hash's ids start (absent: one id per hash)
``offsets_<i>.npy`` (2**w+1,) uint32  bucket ``k`` of part ``i`` is ``offsets[k]:offsets[k+1]``
``postings_<i>.npy`` (u,) uint32   hash rows in order of part ``i``'s key (not for part 0:
                                   the hashes are already in that order)
``segment.json``    the parts, the counts and each part's expected bucket load

Identical hashes are stored once, with all their ids: national sets hold the
same picture under many entries, and each copy would otherwise be a candidate
to check again. Memory per distinct hash: 32 + 4·(parts−1) bytes of postings,
plus 8 per id and 4·2**w per part for the bucket tables.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

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
FORMAT_VERSION = 1

_Found = tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int16]]
"""(query row, entry id, distance) — not yet sorted or de-duplicated."""


@dataclass(frozen=True, slots=True)
class _Table:
    part: Part
    offsets: npt.NDArray[np.uint32]
    postings: npt.NDArray[np.uint32] | None  # None: the hashes themselves are in key order
    load: float


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
    np.save(directory / "ids.npy", ids)
    if len(unique) != len(ids):
        starts = np.append(np.flatnonzero(first), len(ids)).astype(np.uint32)
        np.save(directory / "id_starts.npy", starts)
    for i, part in enumerate(parts):
        _write_table(directory, i, unique, part)
    loads = [part_load(len(unique), part, freq) for part in parts]
    meta = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "rows": len(ids),
        "unique": len(unique),
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
    np.save(directory / f"offsets_{index}.npy", offsets)
    if index > 0:
        np.save(directory / f"postings_{index}.npy", np.argsort(keys).astype(np.uint32))


class PdqSegment:
    """A memory-mapped segment, searched with multi-index hashing (see ``pdq_plan``)."""

    def __init__(self, directory: Path) -> None:
        meta = json.loads((directory / "segment.json").read_text(encoding="utf-8"))
        if meta.get("format") != FORMAT or meta.get("version") != FORMAT_VERSION:
            raise ValueError(f"{directory}: not a {FORMAT} v{FORMAT_VERSION} segment")
        self.directory = directory
        self.hashes: Hashes = load_mapped(directory / "hashes.npy")
        self._rows = as_rows(self.hashes)
        self.ids: Ids = load_mapped(directory / "ids.npy")
        starts = directory / "id_starts.npy"
        self._id_starts: npt.NDArray[np.uint32] | None = (
            load_mapped(starts) if starts.exists() else None
        )
        self._tables: list[_Table] = []
        for i, ((start, width), load) in enumerate(zip(meta["parts"], meta["loads"], strict=True)):
            postings = directory / f"postings_{i}.npy"
            self._tables.append(
                _Table(
                    Part(start, width),
                    load_mapped(directory / f"offsets_{i}.npy"),
                    load_mapped(postings) if i > 0 else None,
                    float(load),
                )
            )

    def __len__(self) -> int:
        return len(self.ids)

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
        lo = table.offsets.take(probes)
        counts = table.offsets.take(probes + 1) - lo
        hit = np.flatnonzero(counts)
        lo = lo[hit].astype(np.int64)
        counts = counts[hit].astype(np.int64)
        q = np.repeat(hit // len(masks), counts)
        # Expand each bucket [lo, lo+count) into its positions, without a loop.
        ends = np.cumsum(counts)
        slots = np.repeat(lo - (ends - counts), counts) + np.arange(
            int(ends[-1]) if len(ends) else 0
        )
        pos = slots if table.postings is None else table.postings.take(slots).astype(np.int64)
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
        if self._id_starts is None:
            return q, self.ids.take(pos), dist
        lo = self._id_starts.take(pos).astype(np.int64)
        counts = self._id_starts.take(pos + 1).astype(np.int64) - lo
        ends = np.cumsum(counts)
        total = int(ends[-1]) if len(ends) else 0
        slots = np.repeat(lo - (ends - counts), counts) + np.arange(total)
        return np.repeat(q, counts), self.ids.take(slots), np.repeat(dist, counts)

    def rows(self) -> tuple[Hashes, Ids]:
        """Every (hash, id) row, one per id: what compaction copies into a new segment."""
        if self._id_starts is None:
            return np.asarray(self.hashes), np.asarray(self.ids)
        starts = np.asarray(self._id_starts, dtype=np.int64)
        counts = starts[1:] - starts[:-1]
        return np.repeat(np.asarray(self.hashes), counts, axis=0), np.asarray(self.ids)


def _nothing() -> _Found:
    return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.int16)
