"""Matching a video's frames: against image PDQ sets (a still in a video) and video sets (vPDQ).

A scanned video is its kept frames (:mod:`vigil.hashing.vpdq`): one a second,
cuts besides, near-repeats folded into the frame before. Each frame of
quality ≥ 50 is a PDQ query like a picture.

* **A listed still inside a video**: every frame is searched in the library's
  PDQ index; a hit is the entry's nearest frame (its time recorded) with the
  segments of the video where the entry is within the threshold.
* **A listed video (vPDQ rule)**: the frames of every listed video are one PDQ
  bank searched once for all the query's frames (never a pass over each listed
  video). A listed video matches when both shares reach ``share`` percent:
  the share of the query's frames within ``distance`` bits of one of its
  frames, and the share of its own frames matched by a query frame.

  The listed video's share is counted per second of it (its frames grouped by
  ``bucket_s``): Meta's sample features list every frame while a scan keeps
  about one a second, and counting single frames would then say that a
  sampled copy of a listed video matches a small part of it. A second of the
  listed video is matched when one of its frames (of quality ≥ ``quality``)
  is. With every frame on both sides and ``bucket_s`` of one frame this is
  Meta's own rule.
"""

from __future__ import annotations

import hashlib
import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import Connection, func, select

from vigil.hashing.vpdq import FrameFeature
from vigil.matching.pdq_bruteforce import BruteForcePdqIndex
from vigil.matching.pdq_index import PdqIndex
from vigil.store.schema import hash_entry, hash_entry_frame

DEFAULT_DISTANCE = 31
"""Bits within which two frames match (vPDQ's default)."""

DEFAULT_QUALITY = 50
"""Frames of lower PDQ quality are not matched on, on either side."""

DEFAULT_SHARE = 80.0
"""Percent of the query's frames, and of the listed video's, that must match."""

BUCKET_S = 1.0
"""Seconds of a listed video counted as one unit of its share (see the module doc)."""

INDEX_MIN_FRAMES = 50_000
"""Below this many listed frames the bank is searched brute force, in memory."""


@dataclass(frozen=True, slots=True)
class VideoRule:
    """The thresholds of a video match (``vigil scan --video-share``)."""

    distance: int = DEFAULT_DISTANCE
    quality: int = DEFAULT_QUALITY
    share: float = DEFAULT_SHARE
    bucket_s: float = BUCKET_S

    def describe(self) -> dict[str, Any]:
        """The rule, for a run's provenance and a hit's detail."""
        return {
            "distance": self.distance,
            "quality": self.quality,
            "share": self.share,
            "bucket_s": self.bucket_s,
        }


@dataclass(frozen=True, slots=True)
class FrameHit:
    """A listed PDQ entry found in a video: nearest frame, its time, where else it is."""

    entry_id: int
    distance: int
    frame_s: float
    segments: list[tuple[float, float]]
    frames: int


@dataclass(frozen=True, slots=True)
class VideoMatch:
    """A listed video matched by the vPDQ rule."""

    entry_id: int
    distance: int
    """Median bits between each matched query frame and its nearest listed frame."""
    query_share: float
    listed_share: float
    frame_s: float
    """Time in the query of its first matched frame."""
    segments: list[tuple[float, float]]

    def detail(self) -> dict[str, Any]:
        """What a stored hit keeps of the match."""
        return {
            "query_share": round(self.query_share, 1),
            "listed_share": round(self.listed_share, 1),
            "segments": [[round(a, 3), round(b, 3)] for a, b in self.segments],
        }


def usable(frames: Sequence[FrameFeature], quality: int = DEFAULT_QUALITY) -> list[FrameFeature]:
    """The frames matched on: quality at least ``quality``."""
    return [f for f in frames if f.quality >= quality]


def frame_array(frames: Sequence[FrameFeature]) -> npt.NDArray[np.uint8]:
    """The frames' PDQ hashes as an ``(n, 32)`` array."""
    if not frames:
        return np.empty((0, 32), np.uint8)
    return np.frombuffer(b"".join(f.pdq for f in frames), dtype=np.uint8).reshape(-1, 32)


def segments_of(
    frames: Sequence[FrameFeature], matched: set[int], end_s: float | None = None
) -> list[tuple[float, float]]:
    """Time ranges of the matched frames: each reaches to the next kept frame, joined up.

    A kept frame stands for the frames folded into it, up to the next kept one,
    so a still shown for ten seconds is one segment of ten seconds.
    """
    ordered = sorted(range(len(frames)), key=lambda i: frames[i].timestamp_s)
    out: list[tuple[float, float]] = []
    for position, i in enumerate(ordered):
        if i not in matched:
            continue
        start = frames[i].timestamp_s
        if position + 1 < len(ordered):
            stop = frames[ordered[position + 1]].timestamp_s
        else:
            stop = max(start, end_s if end_s is not None else start)
        if out and abs(out[-1][1] - start) < 1e-6:
            out[-1] = (out[-1][0], stop)
        else:
            out.append((start, stop))
    return out


def frame_hits(
    frames: Sequence[FrameFeature],
    found: Sequence[tuple[int, int, int]],
    end_s: float | None = None,
) -> list[FrameHit]:
    """Per entry, from ``(frame index, entry id, distance)`` rows: nearest frame and segments."""
    by_entry: dict[int, dict[int, int]] = defaultdict(dict)
    for index, entry_id, distance in found:
        known = by_entry[entry_id].get(index)
        if known is None or distance < known:
            by_entry[entry_id][index] = distance
    hits = []
    for entry_id, per_frame in by_entry.items():
        nearest = min(per_frame.items(), key=lambda kv: (kv[1], frames[kv[0]].timestamp_s))
        hits.append(
            FrameHit(
                entry_id,
                nearest[1],
                frames[nearest[0]].timestamp_s,
                segments_of(frames, set(per_frame), end_s),
                len(per_frame),
            )
        )
    return hits


@dataclass(slots=True)
class ListedVideos:
    """Every listed video's usable frames as one PDQ bank, with what the rule needs of each."""

    frame_entry: npt.NDArray[np.int64]
    """Entry id of each frame, by frame row (the bank's ids are the rows)."""
    frame_bucket: npt.NDArray[np.int64]
    """Second (``bucket_s`` unit) of each frame within its video."""
    buckets: dict[int, int]
    """Entry id → how many seconds of it hold a usable frame."""
    searcher: Any
    rule: VideoRule = field(default_factory=VideoRule)

    def __len__(self) -> int:
        return len(self.frame_entry)

    def match(self, query: Sequence[FrameFeature], end_s: float | None = None) -> list[VideoMatch]:
        """The listed videos that ``query`` (a video's frames) matches by the rule."""
        mine = usable(query, self.rule.quality)
        if not mine or not len(self):
            return []
        rows = self.searcher.search(frame_array(mine), self.rule.distance)
        query_best: dict[int, dict[int, int]] = defaultdict(dict)  # entry → query → bits
        listed: dict[int, set[int]] = defaultdict(set)  # entry → buckets matched
        for q, row, distance in rows.tolist():
            entry = int(self.frame_entry[row])
            best = query_best[entry].get(q)
            if best is None or distance < best:
                query_best[entry][q] = distance
            listed[entry].add(int(self.frame_bucket[row]))
        out = []
        for entry, per_query in query_best.items():
            query_share = 100.0 * len(per_query) / len(mine)
            listed_share = 100.0 * len(listed[entry]) / max(1, self.buckets.get(entry, 1))
            if query_share < self.rule.share or listed_share < self.rule.share:
                continue
            first = min(per_query, key=lambda q: mine[q].timestamp_s)
            out.append(
                VideoMatch(
                    entry,
                    int(statistics.median_low(per_query.values())),
                    query_share,
                    listed_share,
                    mine[first].timestamp_s,
                    segments_of(mine, set(per_query), end_s),
                )
            )
        return sorted(out, key=lambda m: (m.distance, m.entry_id))


def listed_from_features(
    videos: dict[int, Sequence[FrameFeature]], rule: VideoRule | None = None
) -> ListedVideos:
    """A bank of listed videos given in memory (entry id → frames), searched brute force."""
    chosen = rule or VideoRule()
    entries: list[int] = []
    buckets: list[int] = []
    hashes: list[FrameFeature] = []
    for entry_id, frames in videos.items():
        for f in usable(frames, chosen.quality):
            entries.append(entry_id)
            buckets.append(int(f.timestamp_s // chosen.bucket_s))
            hashes.append(f)
    return _bank(np.asarray(entries, np.int64), np.asarray(buckets, np.int64), hashes, chosen)


def _bank(
    entries: npt.NDArray[np.int64],
    buckets: npt.NDArray[np.int64],
    frames: Sequence[FrameFeature] | npt.NDArray[np.uint8],
    rule: VideoRule,
    index_dir: Path | None = None,
) -> ListedVideos:
    bits = frames if isinstance(frames, np.ndarray) else frame_array(frames)
    rows = np.arange(len(entries), dtype=np.int64)
    per_entry: dict[int, set[int]] = defaultdict(set)
    for entry, bucket in zip(entries.tolist(), buckets.tolist(), strict=True):
        per_entry[entry].add(bucket)
    searcher: Any
    if index_dir is not None and len(rows) >= INDEX_MIN_FRAMES:
        searcher = PdqIndex.open(index_dir) if index_dir.exists() else None
        if searcher is None:
            index_dir.parent.mkdir(parents=True, exist_ok=True)
            searcher = PdqIndex.build(index_dir, bits, rows)
    else:
        searcher = BruteForcePdqIndex(bits, rows)
    counts = {entry: len(b) for entry, b in per_entry.items()}
    return ListedVideos(entries, buckets, counts, searcher, rule)


def load_listed(
    conn: Connection, rule: VideoRule | None = None, index_root: Path | None = None
) -> ListedVideos:
    """Every listed video's usable frames from the library, as one bank.

    Many frames are searched through an on-disk :class:`PdqIndex` under
    ``index_root`` named by what the bank holds (rebuilt when the sets change).
    """
    chosen = rule or VideoRule()
    f = hash_entry_frame
    query = (
        select(f.c.entry_id, f.c.timestamp_s, f.c.pdq)
        .where(f.c.quality >= chosen.quality)
        .order_by(f.c.id)
    )
    entries: list[int] = []
    buckets: list[int] = []
    blobs: list[bytes] = []
    for row in conn.execute(query):
        entries.append(int(row.entry_id))
        buckets.append(int(float(row.timestamp_s) // chosen.bucket_s))
        blobs.append(bytes(row.pdq))
    bits = (
        np.frombuffer(b"".join(blobs), np.uint8).reshape(-1, 32)
        if blobs
        else np.empty((0, 32), np.uint8)
    )
    index_dir = None
    if index_root is not None and len(blobs) >= INDEX_MIN_FRAMES:
        index_dir = index_root / f"vpdq-{_stamp(conn, chosen)}"
    return _bank(
        np.asarray(entries, np.int64), np.asarray(buckets, np.int64), bits, chosen, index_dir
    )


def _stamp(conn: Connection, rule: VideoRule) -> str:
    """A digest of the listed frames a bank holds: a change in the sets gives a new index."""
    f = hash_entry_frame
    count, last, entries = conn.execute(
        select(func.count(f.c.id), func.max(f.c.id), func.count(func.distinct(f.c.entry_id)))
    ).one()
    sets = conn.execute(
        select(func.count(func.distinct(hash_entry.c.hashset_id))).where(
            hash_entry.c.id.in_(select(f.c.entry_id))
        )
    ).scalar_one()
    text = f"{count}:{last}:{entries}:{sets}:{rule.quality}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]
