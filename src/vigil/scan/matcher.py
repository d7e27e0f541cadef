"""Matching found items against the hash library: known-good, exact and PDQ."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

import numpy as np
from sqlalchemy import Connection, select

from vigil.hashing.algorithms import PERCEPTUAL
from vigil.hashing.pdq import LOW_QUALITY
from vigil.hashing.vpdq import FrameFeature
from vigil.hashsets.schemes import Scheme, load_scheme
from vigil.matching.library_pdq import default_index_root, pdq_searcher
from vigil.matching.video import (
    DEFAULT_SHARE,
    ListedVideos,
    VideoRule,
    frame_array,
    frame_hits,
    load_listed,
    usable,
)
from vigil.scan.records import ItemRecord
from vigil.store.schema import hash_entry, hashset, hashset_version

EXACT_ORDER = ("sha256", "sha1", "md5")
"""When one entry matches on several hashes, the strongest is the one recorded."""

VARIANTS = 8
"""Rotations and flips queried per picture (pdqhash's dihedral order)."""

MAX_PDQ_HITS = 50
"""Nearest PDQ entries kept per item; a flood of near-duplicates says no more than 50 do."""


class Hashed(Protocol):
    """What matching reads of an item: a scan's ``ItemRecord`` or a stored item row."""

    @property
    def md5(self) -> bytes | None: ...
    @property
    def sha1(self) -> bytes | None: ...
    @property
    def sha256(self) -> bytes | None: ...
    @property
    def pdq_quality(self) -> int | None: ...
    @property
    def pdq_variants(self) -> bytes | None: ...


@dataclass(frozen=True, slots=True)
class SetInfo:
    """What matching needs to know of a hash set."""

    id: int
    name: str
    known_good: bool
    scheme: Scheme
    revision: int


@dataclass(frozen=True, slots=True)
class Hit:
    """One item-to-entry match, with what it means frozen at match time.

    ``category_label`` is the category as the set's scheme names it and
    ``set_revision`` the set's revision then: counting reads these, never the
    library, so a set replaced or removed later changes no past result.
    """

    set_id: int
    set_name: str
    entry_id: int
    algorithm: str
    distance: int
    variant: int | None
    category: str | None
    known_good: bool
    category_label: str
    set_revision: int
    frame_s: float | None = None
    """For a video: the time of the frame the hit was found at."""
    detail: dict[str, Any] | None = None
    """For a video: matched segments (and the vPDQ shares of a video-set hit)."""

    def at(self, frame_s: float, detail: dict[str, Any]) -> Hit:
        """This hit, found at ``frame_s`` in a video, with its segments."""
        return replace(self, frame_s=frame_s, detail=detail)


class Matcher:
    """Loads the library's sets and PDQ bank once, then matches batches of items."""

    def __init__(
        self, conn: Connection, pdq_threshold: int = 31, video_share: float = DEFAULT_SHARE
    ) -> None:
        self.threshold = pdq_threshold
        self.video_share = video_share
        self._videos: ListedVideos | None = None
        self.sets = {
            row.id: SetInfo(
                row.id, row.name, bool(row.known_good), load_scheme(row.scheme), int(row.revision)
            )
            for row in conn.execute(select(hashset))
        }
        self._versions = _set_versions(conn)
        self._pdq = pdq_searcher(conn)

    def describe(self) -> list[dict[str, object]]:
        """The sets a scan matched against, with the version of each, for the run's provenance."""
        return [
            {
                "id": s.id,
                "name": s.name,
                "known_good": s.known_good,
                "scheme": s.scheme.name,
                "revision": s.revision,
                **self._versions.get(s.id, {}),
            }
            for s in self.sets.values()
        ]

    def match(self, conn: Connection, records: Sequence[Hashed]) -> list[list[Hit]]:
        """Hits for each record, in the records' order."""
        hits: list[list[Hit]] = [[] for _ in records]
        self._exact(conn, records, hits)
        self._perceptual(conn, records, hits)
        videos = [(i, f) for i, r in enumerate(records) if (f := _frames(r))]
        if videos:
            self._frames(conn, videos, hits)
            self._video_sets(conn, videos, hits)
        return hits

    def video_rule(self) -> VideoRule:
        """The vPDQ thresholds in force: the PDQ threshold, quality 50, the share asked for."""
        return VideoRule(distance=self.threshold, quality=LOW_QUALITY, share=self.video_share)

    def _frames(
        self,
        conn: Connection,
        videos: list[tuple[int, list[FrameFeature]]],
        hits: list[list[Hit]],
    ) -> None:
        """Each video's frames against the PDQ sets: a listed still inside a video."""
        per_video = [(i, usable(frames, LOW_QUALITY)) for i, frames in videos]
        per_video = [(i, frames) for i, frames in per_video if frames]
        if not per_video:
            return
        queries = np.concatenate([frame_array(frames) for _, frames in per_video])
        owner = np.concatenate(
            [np.full(len(frames), n, np.int64) for n, (_, frames) in enumerate(per_video)]
        )
        first = np.concatenate([[0], np.cumsum([len(f) for _, f in per_video])])
        rows: dict[int, list[tuple[int, int, int]]] = {}
        for query, entry_id, distance in self._pdq.search(queries, self.threshold).tolist():
            n = int(owner[query])
            rows.setdefault(n, []).append((query - int(first[n]), entry_id, distance))
        found = {}
        for n, video_rows in rows.items():
            i, frames = per_video[n]
            exact = {h.entry_id for h in hits[i]}
            candidates = [h for h in frame_hits(frames, video_rows) if h.entry_id not in exact]
            found[i] = sorted(candidates, key=lambda h: (h.distance, h.entry_id))[:MAX_PDQ_HITS]
        entries = _entries(conn, [h.entry_id for c in found.values() for h in c])
        for i, candidates in found.items():
            for h in candidates:
                set_id, category = entries[h.entry_id]
                detail = {
                    "segments": [[round(a, 3), round(b, 3)] for a, b in h.segments],
                    "frames": h.frames,
                }
                hits[i].append(
                    self._hit(set_id, h.entry_id, "pdq", h.distance, None, category).at(
                        h.frame_s, detail
                    )
                )

    def _video_sets(
        self,
        conn: Connection,
        videos: list[tuple[int, list[FrameFeature]]],
        hits: list[list[Hit]],
    ) -> None:
        """Each video against the listed videos of the video sets, by the vPDQ rule."""
        if self._videos is None or self._videos.rule != self.video_rule():
            self._videos = load_listed(conn, self.video_rule(), default_index_root(conn))
        if not len(self._videos):
            return
        found = {i: self._videos.match(frames) for i, frames in videos}
        entries = _entries(conn, [m.entry_id for c in found.values() for m in c])
        for i, matches in found.items():
            exact = {h.entry_id for h in hits[i]}
            for m in matches[:MAX_PDQ_HITS]:
                if m.entry_id in exact:
                    continue
                set_id, category = entries[m.entry_id]
                hits[i].append(
                    self._hit(set_id, m.entry_id, "vpdq", m.distance, None, category).at(
                        m.frame_s, m.detail()
                    )
                )

    def _exact(self, conn: Connection, records: Sequence[Hashed], hits: list[list[Hit]]) -> None:
        seen: list[set[int]] = [set() for _ in records]
        for kind in EXACT_ORDER:
            wanted: dict[bytes, list[int]] = {}
            for i, record in enumerate(records):
                digest = getattr(record, kind)
                if digest is not None:
                    wanted.setdefault(digest, []).append(i)
            if not wanted:
                continue
            column = hash_entry.c[kind]
            keys = list(wanted)
            for start in range(0, len(keys), 500):
                chunk = keys[start : start + 500]
                query = select(
                    hash_entry.c.id, hash_entry.c.hashset_id, hash_entry.c.category, column
                ).where(column.in_(chunk))
                for row in conn.execute(query):
                    for i in wanted[row[3]]:
                        if row.id in seen[i]:
                            continue
                        seen[i].add(row.id)
                        hits[i].append(
                            self._hit(row.hashset_id, row.id, kind, 0, None, row.category)
                        )

    def _perceptual(
        self, conn: Connection, records: Sequence[Hashed], hits: list[list[Hit]]
    ) -> None:
        eligible = [
            i
            for i, r in enumerate(records)
            if r.pdq_variants is not None and (r.pdq_quality or 0) >= LOW_QUALITY
        ]
        if not eligible:
            return
        # All 8 variants of every picture in one search; query q is picture q // 8.
        queries = np.frombuffer(
            b"".join(records[i].pdq_variants or b"" for i in eligible), dtype=np.uint8
        ).reshape(-1, 32)
        nearest: dict[tuple[int, int], tuple[int, int]] = {}  # (item, entry) → (bits, variant)
        for query, entry_id, distance in self._pdq.search(queries, self.threshold).tolist():
            key = (eligible[query // VARIANTS], entry_id)
            if key not in nearest or distance < nearest[key][0]:
                nearest[key] = (distance, query % VARIANTS)
        exact = {i: {h.entry_id for h in hits[i]} for i in eligible}
        per_item: dict[int, list[tuple[int, int, int]]] = {}
        for (i, entry_id), (distance, variant) in nearest.items():
            if entry_id not in exact[i]:  # an exact hit on the same entry says more
                per_item.setdefault(i, []).append((distance, entry_id, variant))
        found = {i: sorted(c)[:MAX_PDQ_HITS] for i, c in per_item.items()}
        if not found:
            return
        # Set and category only for the entries hit: the index holds hashes and ids alone.
        entries = _entries(conn, [e for c in found.values() for _, e, _ in c])
        for i, candidates in found.items():
            for distance, entry_id, variant in candidates:
                set_id, category = entries[entry_id]
                hits[i].append(self._hit(set_id, entry_id, "pdq", distance, variant, category))

    def _hit(
        self,
        set_id: int,
        entry_id: int,
        algorithm: str,
        distance: int,
        variant: int | None,
        category: str | None,
    ) -> Hit:
        info = self.sets[set_id]
        return Hit(
            set_id,
            info.name,
            entry_id,
            algorithm,
            distance,
            variant,
            category,
            info.known_good,
            info.scheme.label(category),
            info.revision,
        )


def _frames(record: object) -> list[FrameFeature] | None:
    """A video's kept frames, when the record has them (a scan's record, a stored video)."""
    frames: list[FrameFeature] | None = getattr(record, "frames", None)
    return frames


def _set_versions(conn: Connection) -> dict[int, dict[str, object]]:
    """The current version of each set: what a report must name as matched against."""
    query = select(
        hashset.c.id,
        hashset_version.c.id.label("version_id"),
        hashset_version.c.version,
        hashset_version.c.source_date,
        hashset_version.c.source_sha256,
        hashset_version.c.format,
        hashset_version.c.entry_count,
        hashset_version.c.imported_at,
    ).join(hashset_version, hashset_version.c.id == hashset.c.current_version_id)
    return {
        int(r.id): {
            "version_id": int(r.version_id),
            "version": r.version,
            "source_date": r.source_date,
            "source_sha256": r.source_sha256,
            "format": r.format,
            "entry_count": int(r.entry_count),
            "imported_at": r.imported_at.isoformat() if r.imported_at else None,
        }
        for r in conn.execute(query)
    }


def _entries(conn: Connection, entry_ids: list[int]) -> dict[int, tuple[int, str | None]]:
    """Set id and category of each entry, fetched for the entries hit only."""
    out: dict[int, tuple[int, str | None]] = {}
    unique = sorted(set(entry_ids))
    for start in range(0, len(unique), 500):
        chunk = unique[start : start + 500]
        query = select(hash_entry.c.id, hash_entry.c.hashset_id, hash_entry.c.category).where(
            hash_entry.c.id.in_(chunk)
        )
        out.update({int(r.id): (int(r.hashset_id), r.category) for r in conn.execute(query)})
    return out


def review_state(record: ItemRecord, hits: Sequence[Hit]) -> str:
    """``hit`` (in a graded set), ``known`` (known-good only), ``unknown`` media, or ``none``."""
    return review_from(record.family, record.status, hits)


def review_from(family: str | None, status: str, hits: Sequence[Hit]) -> str:
    """:func:`review_state` of an item known by its family and status (a stored item)."""
    if any(not h.known_good for h in hits):
        return "hit"
    if hits:
        return "known"
    if family in ("image", "video") and status == "ok":
        return "unknown"
    return "none"


def best_hit(hits: Sequence[Hit]) -> Hit | None:
    """The hit an item is counted by: graded before known-good, exact before PDQ, nearest."""
    if not hits:
        return None
    return min(
        hits,
        key=lambda h: (h.known_good, h.algorithm in PERCEPTUAL, h.distance, h.set_name),
    )
