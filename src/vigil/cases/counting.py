"""The numbers an examiner acts on, computed from the store for a case."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, exists, func, select
from sqlalchemy import case as sql_case

from vigil.cases.case import get_case
from vigil.cases.grades import awaiting_grading, grade_state_counts
from vigil.cases.revisions import ResultView, result_view
from vigil.cases.runs import counted_evidence
from vigil.hashing.algorithms import PERCEPTUAL
from vigil.store.engine import Store
from vigil.store.schema import (
    evidence,
    exhibit,
    hashset,
    hashset_version,
    item,
    match,
    scan_run,
)

CONFLICT = "conflict"


@dataclass(slots=True)
class CategoryCount:
    """Instances and distinct MD5s of items counted under one category."""

    instances: int = 0
    unique: int = 0


@dataclass(slots=True)
class CategoryDetail:
    """One row of the court-statement (SFR) table: a category's media, every way it is counted.

    ``images``/``videos``/``other`` count instances and distinct MD5s by file
    family; ``by_location`` counts instances live, inside an archive, deleted or
    carved; ``exact``/``perceptual``/``graded`` say what the counting rests on:
    a hash in a library set, a PDQ match only, or an officer's grade in review
    (an exact match only to a set of review grades).
    """

    images: CategoryCount = field(default_factory=CategoryCount)
    videos: CategoryCount = field(default_factory=CategoryCount)
    other: CategoryCount = field(default_factory=CategoryCount)
    total: CategoryCount = field(default_factory=CategoryCount)
    by_location: dict[str, int] = field(default_factory=dict)
    exact: int = 0
    perceptual: int = 0
    graded: int = 0


@dataclass(slots=True)
class RunInfo:
    """One scan run of the case."""

    id: int
    status: str
    examiner: str
    host: str
    started_at: datetime
    finished_at: datetime | None
    elapsed_s: float
    resumed_count: int
    evidence: list[dict[str, Any]]


@dataclass(slots=True)
class CaseSummary:
    """Counts of a case: what was found, what is known, what awaits grading, what failed."""

    case: str
    scheme: str
    runs: list[RunInfo]
    items: int = 0
    files: int = 0
    bytes: int = 0
    images: int = 0
    videos: int = 0
    archives_members: int = 0
    known: int = 0
    exact: dict[str, CategoryCount] = field(default_factory=dict)
    perceptual: dict[str, CategoryCount] = field(default_factory=dict)
    conflicts: int = 0
    unknown_images: int = 0
    unknown_videos: int = 0
    unknown_unique: int = 0
    low_quality: int = 0
    ext_mismatch: int = 0
    problems: dict[str, int] = field(default_factory=dict)
    elapsed_s: float = 0.0
    categories: dict[str, CategoryDetail] = field(default_factory=dict)
    locations: dict[str, int] = field(default_factory=dict)
    graded: dict[str, int] = field(default_factory=dict)  # graded in review, per grade state
    revision: int = 0
    latest_revision: int = 0

    @property
    def exact_total(self) -> int:
        """Items with an exact hit in a graded set."""
        return sum(c.instances for c in self.exact.values())

    @property
    def perceptual_total(self) -> int:
        """Items with only perceptual hits in graded sets."""
        return sum(c.instances for c in self.perceptual.values())


def case_summary(store: Store, name: str, revision: int | None = None) -> CaseSummary:
    """Summarise every run of the named case, as result ``revision`` has it (default newest)."""
    with store.connect() as conn:
        return summarise(conn, name, revision=revision)


def summarise(
    conn: Connection,
    name: str,
    evidence_id: int | None = None,
    leave_out: ColumnElement[bool] | None = None,
    revision: int | None = None,
    view: ResultView | None = None,
) -> CaseSummary:
    """Summarise the named case on an open connection; only one scan of one exhibit with
    ``evidence_id``.

    Each exhibit counts once: the items of its latest finished run (see
    ``runs.counted_evidence``); a superseded run stays listed in ``runs``.
    One ``evidence`` row (one PATH of one scan run) is counted by the same
    queries as the case, restricted to its items. Hits are those of result
    ``revision`` (default: the newest; ``view`` when the caller has it), counted
    under the labels they were given when matched. ``leave_out`` (a condition on
    ``item``) keeps matching items out of the hit counts: a second grader's view
    leaves out first grades not yet second-graded.
    """
    row = get_case(conn, name)
    if view is None:
        view = result_view(conn, int(row.id), revision)
    runs = [r for r in _runs(conn, row.id) if r.id in view.result_ids]
    if evidence_id is not None:
        runs = [r for r in runs if any(e["id"] == evidence_id for e in r.evidence)]
    summary = CaseSummary(
        case=row.name,
        scheme=row.scheme,
        runs=runs,
        revision=view.number,
        latest_revision=view.latest,
    )
    summary.elapsed_s = sum(r.elapsed_s for r in runs)
    counted = [evidence_id] if evidence_id is not None else _counted_ids(runs)
    if counted:
        scope = counted_scope(runs, counted)
        _item_counts(conn, scope, summary, review_of(view))
        _hit_counts(conn, scope if leave_out is None else scope & ~leave_out, summary, view)
    return summary


def counted_scope(runs: list[RunInfo], evidence_ids: list[int]) -> ColumnElement[bool]:
    """Items of these evidence rows (the run filter lets the run index do the work)."""
    run_ids = [r.id for r in runs if any(e["id"] in evidence_ids for e in r.evidence)]
    return and_(item.c.run_id.in_(run_ids), item.c.evidence_id.in_(evidence_ids))


def _counted_ids(runs: list[RunInfo]) -> list[int]:
    """The evidence rows that count: the latest finished run of each exhibit."""
    return [int(e["id"]) for r in runs for e in r.evidence if e["counted"]]


def in_view(view: ResultView) -> ColumnElement[bool]:
    """Match rows of the results ``view`` shows."""
    return match.c.result_id.in_(list(view.result_ids.values()))


def review_of(view: ResultView) -> ColumnElement[Any]:
    """An item's review state (hit, known, unknown, none) in the revision ``view`` shows.

    The newest revision is ``item.review`` itself (kept by the scan, grading
    and re-matching); an earlier one is worked out from its own matches the
    way the scan sets it.
    """
    if view.is_latest:
        return item.c.review
    # An alias: the enclosing query may read ``match`` itself (the report's hit list).
    hit = match.alias("review_match")
    mine = and_(hit.c.item_id == item.c.id, hit.c.result_id.in_(list(view.result_ids.values())))
    return sql_case(
        (exists().where(mine, hit.c.known_good.is_(False)), "hit"),
        (exists().where(mine), "known"),
        (and_(item.c.family.in_(("image", "video")), item.c.status == "ok"), "unknown"),
        else_="none",
    )


def case_item_counts(conn: Connection, case_id: int) -> tuple[int, int, int]:
    """A case's items, items with hits, and unknown media awaiting grading (counted runs)."""
    counted = list(counted_evidence(conn, case_id).values())
    counts = conn.execute(
        select(
            func.count(item.c.id),
            func.count(item.c.id).filter(item.c.review == "hit"),
            func.count(item.c.id).filter(awaiting_grading()),
        )
        .select_from(item.join(scan_run, scan_run.c.id == item.c.run_id))
        .where(scan_run.c.case_id == case_id, item.c.evidence_id.in_(counted))
    ).one()
    return int(counts[0]), int(counts[1]), int(counts[2])


def list_cases(store: Store) -> list[dict[str, Any]]:
    """One line per case: name, runs, items, hits, unknown media, last activity."""
    from vigil.store.schema import case

    with store.connect() as conn:
        rows = conn.execute(select(case).order_by(case.c.name)).all()
        out = []
        for row in rows:
            stats = case_item_counts(conn, int(row.id))
            run_rows = conn.execute(
                select(scan_run.c.status, scan_run.c.started_at).where(scan_run.c.case_id == row.id)
            ).all()
            out.append(
                {
                    "case": row.name,
                    "runs": len(run_rows),
                    "unfinished": sum(1 for r in run_rows if r.status != "complete"),
                    "items": int(stats[0]),
                    "hits": int(stats[1]),
                    "unknown_media": int(stats[2]),
                    "created_at": row.created_at,
                    "last_scan": max((r.started_at for r in run_rows), default=None),
                }
            )
    return out


def _runs(conn: Connection, case_id: int) -> list[RunInfo]:
    runs = []
    counted = set(counted_evidence(conn, case_id).values())
    for r in conn.execute(
        select(scan_run).where(scan_run.c.case_id == case_id).order_by(scan_run.c.id)
    ):
        ev = [
            {
                "id": e.id,
                # The exhibit this PATH scans; "counted" is False once a re-scan supersedes it.
                "exhibit": e.reference or f"Exhibit {e.ordinal}",
                "exhibit_id": e.exhibit_id,
                "counted": int(e.id) in counted,
                "ordinal": e.ordinal,
                "path": e.path,
                "kind": e.kind,
                "sha256": e.sha256,
                "size": e.size,
                "info": e.info,
            }
            for e in conn.execute(
                select(evidence, exhibit.c.reference)
                .outerjoin(exhibit, exhibit.c.id == evidence.c.exhibit_id)
                .where(evidence.c.run_id == r.id)
                .order_by(evidence.c.ordinal)
            )
        ]
        runs.append(
            RunInfo(
                r.id,
                r.status,
                r.examiner,
                r.host,
                r.started_at,
                r.finished_at,
                float(r.elapsed_s),
                int(r.resumed_count),
                ev,
            )
        )
    return runs


def _item_counts(
    conn: Connection, in_runs: ColumnElement[bool], s: CaseSummary, review: ColumnElement[Any]
) -> None:
    total, files, size, members = conn.execute(
        select(
            func.count(item.c.id).filter(item.c.kind != "marker"),
            func.count(item.c.id).filter(item.c.kind == "file"),
            func.coalesce(func.sum(item.c.size).filter(item.c.kind == "file"), 0),
            # location, not depth: files in a disk image's file system are not archive members
            func.count(item.c.id).filter(item.c.location == "archive", item.c.kind == "file"),
        ).where(in_runs)
    ).one()
    s.items, s.files, s.bytes, s.archives_members = int(total), int(files), int(size), int(members)
    for family, count in conn.execute(
        select(item.c.family, func.count()).where(in_runs).group_by(item.c.family)
    ):
        if family == "image":
            s.images = int(count)
        elif family == "video":
            s.videos = int(count)
    s.known = int(conn.execute(select(func.count()).where(in_runs, review == "known")).scalar_one())
    # Awaiting grading: an item graded in review (uncategorised included) is graded.
    awaiting = awaiting_grading(review)
    for family, count in conn.execute(
        select(item.c.family, func.count()).where(in_runs, awaiting).group_by(item.c.family)
    ):
        if family == "image":
            s.unknown_images = int(count)
        elif family == "video":
            s.unknown_videos = int(count)
    s.unknown_unique = int(
        conn.execute(
            select(func.count(func.distinct(item.c.md5))).where(in_runs, awaiting)
        ).scalar_one()
    )
    s.graded = grade_state_counts(conn, in_runs)
    s.low_quality = int(
        conn.execute(
            select(func.count()).where(in_runs, item.c.pdq.is_not(None), item.c.pdq_quality < 50)
        ).scalar_one()
    )
    s.ext_mismatch = int(
        conn.execute(
            select(func.count()).where(in_runs, item.c.ext_mismatch.is_(True))
        ).scalar_one()
    )
    for status, count in conn.execute(
        select(item.c.status, func.count())
        .where(in_runs, item.c.status != "ok")
        .group_by(item.c.status)
    ):
        s.problems[str(status)] = int(count)
    for location, count in conn.execute(
        select(item.c.location, func.count())
        .where(in_runs, item.c.kind == "file")
        .group_by(item.c.location)
    ):
        s.locations[str(location)] = int(count)


def _hit_counts(
    conn: Connection, in_runs: ColumnElement[bool], s: CaseSummary, view: ResultView
) -> None:
    rows = conn.execute(
        select(
            match.c.item_id,
            match.c.hashset_id,
            match.c.algorithm,
            match.c.distance,
            match.c.category,
            match.c.category_label,
            item.c.md5,
            item.c.family,
            item.c.location,
        )
        .join(item, item.c.id == match.c.item_id)
        .where(in_runs, in_view(view), match.c.known_good.is_(False))
    ).all()
    by_item: dict[int, list[Any]] = defaultdict(list)
    for r in rows:
        by_item[r.item_id].append(r)
    exact: dict[str, Counter[bytes | None]] = defaultdict(Counter)
    perceptual: dict[str, Counter[bytes | None]] = defaultdict(Counter)
    detail = _DetailCounter()
    review_sets = view.graded_sets
    for hits in by_item.values():
        label, is_exact = item_category(hits)
        if label == CONFLICT:
            s.conflicts += 1
        first = hits[0]
        (exact if is_exact else perceptual)[label][first.md5] += 1
        detail.add(label, first.family, first.location, first.md5, basis(hits, review_sets))
    s.exact = {k: CategoryCount(sum(c.values()), len(c)) for k, c in exact.items()}
    s.perceptual = {k: CategoryCount(sum(c.values()), len(c)) for k, c in perceptual.items()}
    s.categories = detail.result()


class _DetailCounter:
    """Builds the SFR rows: instances and distinct MD5s per category and family."""

    def __init__(self) -> None:
        self.rows: dict[str, CategoryDetail] = defaultdict(CategoryDetail)
        self.md5s: dict[tuple[str, str], set[bytes | None]] = defaultdict(set)

    def add(
        self, label: str, family: str | None, location: str, md5: bytes | None, basis: str
    ) -> None:
        """Count one hit item under ``label``, resting on ``basis`` (see :func:`basis`)."""
        row = self.rows[label]
        column = family if family in ("image", "video") else "other"
        for key in (column, "total"):
            self.md5s[(label, key)].add(md5)
        {"image": row.images, "video": row.videos}.get(column, row.other).instances += 1
        row.total.instances += 1
        row.by_location[location] = row.by_location.get(location, 0) + 1
        if basis == "graded":
            row.graded += 1
        elif basis == "exact":
            row.exact += 1
        else:
            row.perceptual += 1

    def result(self) -> dict[str, CategoryDetail]:
        """The rows, with distinct-MD5 counts filled in."""
        for label, row in self.rows.items():
            for key, count in (
                ("image", row.images),
                ("video", row.videos),
                ("other", row.other),
                ("total", row.total),
            ):
                count.unique = len(self.md5s.get((label, key), ()))
        return dict(self.rows)


def graded_set_ids(conn: Connection) -> set[int]:
    """Sets that hold officers' grades from review (their current version's format is "graded")."""
    query = (
        select(hashset.c.id)
        .join(hashset_version, hashset_version.c.id == hashset.c.current_version_id)
        .where(hashset_version.c.format == "graded")
    )
    return {int(r.id) for r in conn.execute(query)}


def basis(hits: list[Any], review_sets: set[int]) -> str:
    """What an item's count rests on: ``exact`` (a library set's hash), ``graded`` (only an
    officer's grade in review) or ``perceptual`` (PDQ only)."""
    exact = [h for h in hits if h.algorithm not in PERCEPTUAL]
    if not exact:
        return "perceptual"
    return "graded" if all(h.hashset_id in review_sets for h in exact) else "exact"


def hit_label(hit: Any) -> str:
    """The category label a hit was given when it was matched.

    Hits stored before labels were kept (a set removed before revision 0007)
    fall back to their raw category key.
    """
    label: str | None = hit.category_label
    return label if label is not None else (hit.category or "—")


def item_category(hits: list[Any]) -> tuple[str, bool]:
    """The category label an item counts under, and whether it rests on an exact hit.

    Exact hits decide when there are any; otherwise each set's nearest PDQ hits
    (all of them when several of one set lie at the same nearest distance: a
    set whose two nearest entries disagree is a disagreement too, and picking
    one would make the figure depend on the order the store returns rows in).
    When the deciding hits disagree the item counts as a conflict, never
    silently under one of them. Only the labels frozen on the hits are read:
    the library as it is today plays no part.
    """
    exact = [h for h in hits if h.algorithm not in PERCEPTUAL]
    if exact:
        labels = {hit_label(h) for h in exact}
        return (labels.pop() if len(labels) == 1 else CONFLICT), True
    nearest_bits: dict[int, int] = {}
    for h in hits:
        known = nearest_bits.get(h.hashset_id)
        if known is None or h.distance < known:
            nearest_bits[h.hashset_id] = h.distance
    labels = {hit_label(h) for h in hits if h.distance == nearest_bits[h.hashset_id]}
    return (labels.pop() if len(labels) == 1 else CONFLICT), False
