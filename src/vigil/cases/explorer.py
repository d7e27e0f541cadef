"""The case explorer: every item of a case's counted scans, filtered, sorted and paged in SQL.

One page is one query with ``LIMIT``/``OFFSET`` plus one count, so a page costs
the same at 100 items or 100,000; the category shown beside a hit is worked out
for that page's rows only, by the court's own rule (``item_category``). Nothing
here reads a picture.

A blind second grader's view is honoured by ``leave_out`` (see
:mod:`vigil.web.blind`): those items keep their row but show no category and
are left out of a category filter, as the case page leaves them out of the hits.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import ColumnElement, Connection, Row, Select, and_, exists, func, or_, select

from vigil.cases.counting import in_view, item_category, review_of
from vigil.cases.revisions import ResultView, result_view
from vigil.cases.runs import counted_evidence
from vigil.cases.tags_notes import tags_of
from vigil.errors import UsageError
from vigil.store.schema import evidence, exhibit, item, item_tag, match

PAGE_SIZES = (25, 50, 100, 200)
LOCATIONS = ("live", "archive", "deleted", "carved")
REVIEW_STATES = {
    "hit": "Matched a graded hash set",
    "unknown": "Awaiting grading",
    "known": "Known good (in a known-good set)",
    "none": "Not a picture or video",
}
SORTS: dict[str, Any] = {
    "path": item.c.display,
    "name": item.c.name,
    "size": item.c.size,
    "modified": item.c.mtime,
    "taken": item.c.exif_taken,
    "type": item.c.file_type,
    "status": item.c.status,
}
"""Sort keys offered, by the name the page and the CLI use."""

_HEX = re.compile(r"[0-9a-f]+")
_HASH_COLUMNS = {32: item.c.md5, 40: item.c.sha1, 64: item.c.sha256}


@dataclass(frozen=True, slots=True)
class ItemFilter:
    """What the officer asked for; empty fields filter nothing."""

    text: str = ""  # part of the name or path, any case
    digest: str = ""  # a whole MD5, SHA-1 or SHA-256 in hex
    exhibit: int | None = None  # exhibit id
    location: str = ""
    status: str = ""  # ok, error, limit, unsupported, encrypted…
    family: str = ""  # image, video, archive…
    review: str = ""  # hit, unknown, known, none
    category: str = ""  # label of a graded-set hit
    camera: str = ""  # part of the camera make or model
    tag: str = ""  # an officer's tag (``bookmark`` for bookmarks)
    ids: tuple[int, ...] = ()  # only these items (a selection)
    modified_from: date | None = None
    modified_to: date | None = None  # inclusive
    sort: str = "path"
    descending: bool = False
    page: int = 1
    per_page: int = 50

    def checked(self) -> ItemFilter:
        """The filter with its values checked: a bad one is a UsageError naming it."""
        digest = self.digest.strip().lower()
        if digest and (len(digest) not in _HASH_COLUMNS or not _HEX.fullmatch(digest)):
            raise UsageError("hash: give a whole MD5, SHA-1 or SHA-256 in hex")
        if self.location and self.location not in LOCATIONS:
            raise UsageError(f"location: one of {', '.join(LOCATIONS)}")
        if self.review and self.review not in REVIEW_STATES:
            raise UsageError(f"review: one of {', '.join(REVIEW_STATES)}")
        if self.sort not in SORTS:
            raise UsageError(f"sort: one of {', '.join(SORTS)}")
        if self.per_page not in PAGE_SIZES:
            raise UsageError(f"per page: one of {', '.join(str(n) for n in PAGE_SIZES)}")
        if self.page < 1:
            raise UsageError("page: 1 or more")
        tag = " ".join(self.tag.split())
        return replace(
            self, digest=digest, text=self.text.strip(), camera=self.camera.strip(), tag=tag
        )

    def described(self) -> dict[str, Any]:
        """The filter's non-empty fields (what an export's audit entry records)."""
        plain = {
            "text": self.text,
            "hash": self.digest,
            "exhibit": self.exhibit,
            "location": self.location,
            "status": self.status,
            "family": self.family,
            "review": self.review,
            "category": self.category,
            "camera": self.camera,
            "tag": self.tag,
            "selected": len(self.ids) or None,
            "modified_from": self.modified_from.isoformat() if self.modified_from else None,
            "modified_to": self.modified_to.isoformat() if self.modified_to else None,
        }
        return {k: v for k, v in plain.items() if v not in (None, "")}


@dataclass(slots=True)
class ExplorerRow:
    """One item as the explorer lists it."""

    id: int
    exhibit: str
    path: str
    name: str
    location: str
    family: str | None
    file_type: str | None
    size: int | None
    modified: datetime | None
    taken: str | None
    camera: str | None
    status: str
    reason: str | None
    review: str
    md5: str | None
    category: str | None = None  # what a hit counts under (None: no hit, or hidden)
    tags: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ExplorerPage:
    """A page of rows, the total that match, and where the page sits."""

    rows: list[ExplorerRow]
    total: int
    page: int
    pages: int
    per_page: int


class Explorer:
    """Queries over one case's counted items (the latest finished scan of each exhibit)."""

    def __init__(
        self,
        conn: Connection,
        case_id: int,
        leave_out: ColumnElement[bool] | None = None,
        view: ResultView | None = None,
    ) -> None:
        self.conn = conn
        self.case_id = case_id
        self.leave_out = leave_out
        self.view = view or result_view(conn, case_id, None)
        self.evidence_ids = sorted(counted_evidence(conn, case_id).values())
        self.labels = self._exhibit_labels()

    def exhibits(self) -> list[tuple[int, str]]:
        """(exhibit id, reference) of the case's exhibits, for the filter's choices."""
        rows = self.conn.execute(
            select(exhibit.c.id, exhibit.c.reference)
            .where(exhibit.c.case_id == self.case_id)
            .order_by(exhibit.c.reference)
        )
        return [(int(r.id), str(r.reference)) for r in rows]

    def page(self, wanted: ItemFilter) -> ExplorerPage:
        """The page ``wanted.page`` of the items ``wanted`` selects (past the end: the last)."""
        wanted = wanted.checked()
        where = self._where(wanted)
        total = int(
            self.conn.execute(select(func.count()).select_from(item).where(where)).scalar_one()
        )
        pages = max(1, math.ceil(total / wanted.per_page))
        number = min(wanted.page, pages)
        query = self._ordered(self._select(), wanted, where)
        query = query.limit(wanted.per_page).offset((number - 1) * wanted.per_page)
        rows = [self._row(r) for r in self.conn.execute(query)]
        self._annotate(rows)
        return ExplorerPage(rows, total, number, pages, wanted.per_page)

    def every(self, wanted: ItemFilter, chunk: int = 2000) -> Iterator[ExplorerRow]:
        """Every item ``wanted`` selects, in its order (for an export), read in chunks."""
        wanted = wanted.checked()
        where = self._where(wanted)
        query = self._ordered(self._select(), wanted, where)
        offset = 0
        while True:
            rows = [self._row(r) for r in self.conn.execute(query.limit(chunk).offset(offset))]
            self._annotate(rows)
            yield from rows
            if len(rows) < chunk:
                return
            offset += chunk

    def _select(self) -> Select[Any]:
        return select(item, evidence.c.exhibit_id, review_of(self.view).label("review_state"))

    def _ordered(self, query: Select[Any], wanted: ItemFilter, where: Any) -> Select[Any]:
        key = SORTS[wanted.sort]
        ordered = key.desc() if wanted.descending else key.asc()
        # Items without the value (no size, no EXIF) go last either way; id keeps pages stable.
        tie = item.c.id.desc() if wanted.descending else item.c.id.asc()
        return (
            query.join(evidence, evidence.c.id == item.c.evidence_id)
            .where(where)
            .order_by(ordered.nulls_last(), tie)
        )

    def _where(self, wanted: ItemFilter) -> ColumnElement[bool]:
        clauses: list[ColumnElement[bool]] = [item.c.evidence_id.in_(self.evidence_ids)]
        if wanted.text:
            # The path ends with the name, so one column holds both.
            clauses.append(self._contains(item.c.display, wanted.text))
        if wanted.digest:
            clauses.append(_HASH_COLUMNS[len(wanted.digest)] == bytes.fromhex(wanted.digest))
        if wanted.exhibit is not None:
            clauses.append(
                item.c.evidence_id.in_(
                    select(evidence.c.id).where(evidence.c.exhibit_id == wanted.exhibit)
                )
            )
        for column, value in (
            (item.c.location, wanted.location),
            (item.c.status, wanted.status),
            (item.c.family, wanted.family),
        ):
            if value:
                clauses.append(column == value)
        if wanted.review:
            clauses.append(review_of(self.view) == wanted.review)
        if wanted.camera:
            clauses.append(
                or_(
                    self._contains(item.c.camera_make, wanted.camera),
                    self._contains(item.c.camera_model, wanted.camera),
                )
            )
        if wanted.modified_from is not None:
            clauses.append(item.c.mtime >= _epoch(wanted.modified_from))
        if wanted.modified_to is not None:
            clauses.append(item.c.mtime < _epoch(wanted.modified_to) + 86400)
        if wanted.category:
            clauses.append(self._labelled(wanted.category))
        if wanted.ids:
            clauses.append(item.c.id.in_(sorted(set(wanted.ids))))
        if wanted.tag:
            clauses.append(
                exists().where(item_tag.c.item_id == item.c.id, item_tag.c.tag == wanted.tag)
            )
        return and_(*clauses)

    def _contains(self, column: Any, text: str) -> ColumnElement[bool]:
        # SQLite's LIKE already ignores ASCII case (and its lower() knows no other),
        # so lower() on every row would only cost time; PostgreSQL needs ILIKE.
        if self.conn.dialect.name == "sqlite":
            clause: ColumnElement[bool] = column.contains(text, autoescape=True)
            return clause
        return column.icontains(text, autoescape=True)  # type: ignore[no-any-return]

    def _labelled(self, label: str) -> ColumnElement[bool]:
        # A hit labelled so by some set: the page then shows the category it counts
        # under, which for a conflicting item is "conflict" (the court rule).
        labelled: ColumnElement[bool] = exists().where(
            match.c.item_id == item.c.id,
            in_view(self.view),
            match.c.known_good.is_(False),
            or_(match.c.category_label == label, match.c.category == label),
        )
        labelled = and_(review_of(self.view) == "hit", labelled)
        if self.leave_out is not None:
            labelled = and_(labelled, ~self.leave_out)
        return labelled

    def _annotate(self, rows: list[ExplorerRow]) -> None:
        tags = tags_of(self.conn, [r.id for r in rows])
        for r in rows:
            r.tags = tags.get(r.id, [])
        self._categorise(rows)

    def _categorise(self, rows: list[ExplorerRow]) -> None:
        hits = [r.id for r in rows if r.review == "hit"]
        if not hits:
            return
        visible = hits
        if self.leave_out is not None:
            hidden = set(
                self.conn.execute(
                    select(item.c.id).where(item.c.id.in_(hits), self.leave_out)
                ).scalars()
            )
            visible = [i for i in hits if i not in hidden]
        found: dict[int, list[Any]] = defaultdict(list)
        query = select(match).where(
            match.c.item_id.in_(visible), in_view(self.view), match.c.known_good.is_(False)
        )
        for m in self.conn.execute(query.order_by(match.c.item_id, match.c.distance)):
            found[int(m.item_id)].append(m)
        for r in rows:
            if r.id in found:
                r.category, _ = item_category(found[r.id])

    def _row(self, r: Row[Any]) -> ExplorerRow:
        camera = " ".join(v for v in (r.camera_make, r.camera_model) if v) or None
        return ExplorerRow(
            id=int(r.id),
            exhibit=self.labels.get(int(r.exhibit_id or 0), str(r.evidence_id)),
            path=str(r.display),
            name=str(r.name),
            location=str(r.location),
            family=r.family,
            file_type=r.file_type,
            size=r.size,
            modified=datetime.fromtimestamp(r.mtime, UTC) if r.mtime is not None else None,
            taken=r.exif_taken,
            camera=camera,
            status=str(r.status),
            reason=r.reason,
            review=str(r.review_state),
            md5=bytes(r.md5).hex() if r.md5 is not None else None,
        )

    def _exhibit_labels(self) -> dict[int, str]:
        return {i: ref for i, ref in self.exhibits()}


def _epoch(day: date) -> float:
    return datetime.combine(day, time(0), UTC).timestamp()
