"""Re-matching a case against today's library: a new, audited revision of its results.

The revision is worked out in full, then shown as a difference (per category,
before → after) and applied only when asked: :func:`preview` rolls its work
back, :func:`apply` commits the same work, and refuses when the library or the
case changed since the preview it was given (``expect``), so that what is
applied is what was shown. Earlier revisions stay as they were.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, insert, select, update

from vigil.audit import append, case_scope
from vigil.cases.case import get_case
from vigil.cases.counting import CaseSummary, summarise
from vigil.cases.revisions import REMATCH, result_view, start_result
from vigil.crosscase.refresh import refresh_case
from vigil.errors import UsageError
from vigil.hashing.vpdq import FrameFeature
from vigil.matching.video import DEFAULT_SHARE
from vigil.scan.matcher import Matcher, best_hit, review_from
from vigil.scan.writer import match_row
from vigil.store.engine import Store
from vigil.store.schema import item, match, scan_run, video_frame

BATCH = 2_000
"""Items matched per query batch (the scan's own batches are of this order)."""

DEFAULT_THRESHOLD = 31
"""PDQ distance for a run that recorded none (the scan's default)."""


@dataclass(frozen=True, slots=True)
class Change:
    """One line of the difference: a category (or a review state) before and after."""

    label: str
    before: int
    after: int

    @property
    def changed(self) -> bool:
        """True when the count moved."""
        return self.before != self.after


@dataclass(slots=True)
class Rematch:
    """What a re-match does to a case: the new revision, its difference, the sets it used."""

    case: str
    previous: int
    revision: int
    categories: list[Change] = field(default_factory=list)
    states: list[Change] = field(default_factory=list)
    sets: list[dict[str, Any]] = field(default_factory=list)
    fingerprint: str = ""
    applied: bool = False

    @property
    def changed(self) -> bool:
        """True when any figure differs from the revision in force."""
        return any(c.changed for c in [*self.categories, *self.states])


def preview(store: Store, case_name: str, user: str) -> Rematch:
    """The re-match of ``case_name`` as it would be applied now; nothing is kept."""
    with store.connect() as conn:
        transaction = conn.begin()
        try:
            return _rematch(conn, case_name, user)
        finally:
            transaction.rollback()


def apply(store: Store, case_name: str, user: str, expect: str | None = None) -> Rematch:
    """Re-match ``case_name`` as revision N+1 and record it in the case's audit chain.

    ``expect`` is the fingerprint of the preview the user saw: when the library
    or the case changed since, nothing is applied (a UsageError says so).
    """
    with store.begin() as conn:
        done = _rematch(conn, case_name, user)
        if expect is not None and expect != done.fingerprint:
            raise UsageError(
                "the library or the case changed since the difference was shown; "
                "nothing was applied: look at the difference again"
            )
        case_id = int(get_case(conn, case_name).id)
        append(
            conn,
            case_scope(case_id),
            user,
            "case.rematch",
            target=case_name,
            detail={
                "revision": done.revision,
                "previous": done.previous,
                "categories": {c.label: [c.before, c.after] for c in done.categories},
                "states": {c.label: [c.before, c.after] for c in done.states},
                "sets": [_set_brief(s) for s in done.sets],
            },
        )
        refresh_case(conn, case_id)
        done.applied = True
        return done


def _set_brief(s: dict[str, Any]) -> dict[str, Any]:
    return {k: s.get(k) for k in ("name", "revision", "version", "source_sha256", "known_good")}


def _rematch(conn: Connection, case_name: str, user: str) -> Rematch:
    row = get_case(conn, case_name)
    case_id = int(row.id)
    runs = conn.execute(
        select(scan_run).where(scan_run.c.case_id == case_id).order_by(scan_run.c.id)
    ).all()
    if not runs:
        raise UsageError(f"case {case_name!r} has no scan to re-match")
    unfinished = [int(r.id) for r in runs if r.status != "complete"]
    if unfinished:
        raise UsageError(
            f"case {case_name!r} has an unfinished scan (run {unfinished[0]}): "
            "finish it with `vigil scan --resume --case NAME` before re-matching"
        )
    view = result_view(conn, case_id)
    before = summarise(conn, case_name, view=view)
    number = view.latest + 1
    matcher = Matcher(conn, DEFAULT_THRESHOLD)
    sets = matcher.describe()
    for run in runs:
        params = dict(run.params or {})
        matcher.threshold = int(params.get("pdq_threshold") or DEFAULT_THRESHOLD)
        matcher.video_share = float(params.get("video_share") or DEFAULT_SHARE)
        result_id = start_result(conn, case_id, int(run.id), REMATCH, user, sets, number=number)
        _rematch_run(conn, matcher, int(run.id), result_id)
    after = summarise(conn, case_name)
    return Rematch(
        case=row.name,
        previous=view.latest,
        revision=number,
        categories=_category_changes(before, after),
        states=_state_changes(before, after),
        sets=sets,
        fingerprint=_fingerprint(view.latest, [int(r.id) for r in runs], sets),
    )


def _rematch_run(conn: Connection, matcher: Matcher, run_id: int, result_id: int) -> None:
    """Match every hashed item of a run again; new match rows, review states brought up to date."""
    for rows in _item_batches(conn, run_id):
        hits = matcher.match(conn, _with_frames(conn, rows))
        match_rows = [
            match_row(result_id, int(r.id), hit, hit is best_hit(found))
            for r, found in zip(rows, hits, strict=True)
            for hit in found
        ]
        if match_rows:
            conn.execute(insert(match), match_rows)
        moved: dict[str, list[int]] = {}
        for r, found in zip(rows, hits, strict=True):
            state = review_from(r.family, r.status, found)
            if state != r.review:
                moved.setdefault(state, []).append(int(r.id))
        for state, ids in moved.items():
            conn.execute(update(item).where(item.c.id.in_(ids)).values(review=state))


@dataclass(frozen=True, slots=True)
class _StoredVideo:
    """A stored video item as matching reads it: its hashes and its kept frames."""

    md5: bytes | None
    sha1: bytes | None
    sha256: bytes | None
    pdq_quality: int | None
    pdq_variants: bytes | None
    frames: list[FrameFeature]


def _with_frames(conn: Connection, rows: list[Any]) -> list[Any]:
    """The batch, its videos given their stored frames (matched again like the scan did)."""
    videos = [int(r.id) for r in rows if r.family == "video"]
    if not videos:
        return rows
    frames: dict[int, list[FrameFeature]] = {}
    query = (
        select(video_frame)
        .where(video_frame.c.item_id.in_(videos))
        .order_by(video_frame.c.item_id, video_frame.c.frame_number)
    )
    for f in conn.execute(query):
        frames.setdefault(int(f.item_id), []).append(
            FrameFeature(int(f.frame_number), float(f.timestamp_s), bytes(f.pdq), int(f.quality))
        )
    return [
        _StoredVideo(r.md5, r.sha1, r.sha256, r.pdq_quality, r.pdq_variants, frames[int(r.id)])
        if int(r.id) in frames
        else r
        for r in rows
    ]


def _item_batches(conn: Connection, run_id: int) -> Iterator[list[Any]]:
    """A run's items in id order, ``BATCH`` at a time (keyset paging: no OFFSET)."""
    last = 0
    columns = (
        item.c.id,
        item.c.family,
        item.c.status,
        item.c.review,
        item.c.md5,
        item.c.sha1,
        item.c.sha256,
        item.c.pdq_quality,
        item.c.pdq_variants,
    )
    while True:
        rows = conn.execute(
            select(*columns)
            .where(item.c.run_id == run_id, item.c.id > last)
            .order_by(item.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        yield list(rows)
        last = int(rows[-1].id)


def _category_changes(before: CaseSummary, after: CaseSummary) -> list[Change]:
    labels = list(before.categories)
    labels += [k for k in after.categories if k not in before.categories]
    return [
        Change(
            label,
            before.categories[label].total.instances if label in before.categories else 0,
            after.categories[label].total.instances if label in after.categories else 0,
        )
        for label in labels
    ]


def _state_changes(before: CaseSummary, after: CaseSummary) -> list[Change]:
    return [
        Change("Items with hits", _hit_items(before), _hit_items(after)),
        Change("Conflicts", before.conflicts, after.conflicts),
        Change("Known-good items", before.known, after.known),
        Change(
            "Unknown media awaiting grading",
            before.unknown_images + before.unknown_videos,
            after.unknown_images + after.unknown_videos,
        ),
    ]


def _hit_items(s: CaseSummary) -> int:
    return sum(d.total.instances for d in s.categories.values())


def _fingerprint(previous: int, run_ids: list[int], sets: list[dict[str, Any]]) -> str:
    """What the re-match rests on: the revision it follows, the runs, each set's revision."""
    basis = [previous, run_ids, sorted((int(s["id"]), int(s["revision"])) for s in sets)]
    return hashlib.sha256(json.dumps(basis).encode()).hexdigest()[:16]
