"""``build_report``: read a case from the store into a :class:`Report`.

Counts come from ``vigil.cases.counting`` (the numbers ``vigil case show``
prints), per exhibit and for the whole case; this module adds the item lists,
findings, provenance and the audit chain's state.
"""

from __future__ import annotations

import socket
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Row, and_, exists, or_, select

from vigil import __version__
from vigil.cases.case import get_case
from vigil.cases.counting import (
    CONFLICT,
    basis,
    hit_label,
    in_view,
    item_category,
    review_of,
    summarise,
)
from vigil.cases.exhibits import named
from vigil.cases.grades import GradeRecord, awaiting_grading, grade_records
from vigil.cases.revisions import ResultView, result_view
from vigil.config import current_user
from vigil.crosscase.first_seen import new_material
from vigil.hashsets.schemes import Scheme, load_scheme
from vigil.reports.model import (
    DEFAULT_MARKING,
    Exhibit,
    ExifRow,
    FindingRow,
    ItemRow,
    MatchRow,
    Report,
    RevisionShown,
)
from vigil.reports.provenance import audit_state, run_provenance, sets_used, utc
from vigil.reports.timeline import taken_timeline, timeline
from vigil.sources.locator import Locator
from vigil.store.schema import exhibit, finding, grade, item, match, scan_run


def build_report(
    conn: Connection,
    case_name: str,
    user: str | None = None,
    marking: str = DEFAULT_MARKING,
    leave_out: ColumnElement[bool] | None = None,
    revision: int | None = None,
) -> Report:
    """Everything the report of ``case_name`` says, read on ``conn`` (nothing is written).

    ``user`` is who makes the report (default: the login name); ``marking`` the
    protective marking printed on every page ("" for none); ``revision`` the
    revision of the case's results to show (default: the newest). ``leave_out`` (a
    condition on ``item``) keeps matching items out of the hits and hit counts
    (the review app's view for a second grader, see ``vigil.web.blind``).
    """
    row = get_case(conn, case_name)
    view = result_view(conn, int(row.id), revision)
    summary = summarise(conn, case_name, leave_out=leave_out, view=view)
    scheme = load_scheme(row.scheme)
    runs = [
        r
        for r in conn.execute(
            select(scan_run).where(scan_run.c.case_id == row.id).order_by(scan_run.c.id)
        )
        if int(r.id) in view.result_ids
    ]
    run_ids = [int(r.id) for r in runs]
    exhibits = _exhibits(conn, int(row.id), case_name, summary.runs, view, leave_out)
    # Every scan's reference, superseded ones too (a finding may point at one).
    labels = {int(ev["id"]): str(ev["exhibit"]) for r in summary.runs for ev in r.evidence}
    counted = [e.id for e in exhibits]
    counted_scope = and_(
        item.c.run_id.in_([e.run_id for e in exhibits]), item.c.evidence_id.in_(counted)
    )
    graded_here: ColumnElement[bool] = counted_scope
    if leave_out is not None:  # grades a blind second grader may not see yet
        graded_here = graded_here & ~leave_out
    grades = grade_records(conn, graded_here, scheme)
    items = _Items(conn, [e.run_id for e in exhibits], counted, labels, view, grades, leave_out)
    report = Report(
        case=row.name,
        scheme=row.scheme,  # what load_scheme takes: a built-in name or a YAML path
        scheme_title=scheme.title,
        category_order=[],
        created_at=utc(row.created_at),
        created_by=row.created_by,
        generated_at=datetime.now(UTC),
        generated_by=user or current_user(),
        host=socket.gethostname(),
        vigil_version=__version__,
        summary=summary,
        exhibits=exhibits,
        hits=items.hits(),
        unknown=items.plain(awaiting_grading(review_of(view))),
        errors=items.plain(item.c.status != "ok"),
        findings=_findings(conn, [e.run_id for e in exhibits], counted, labels),
        hashsets=sets_used(conn, view),
        runs=[run_provenance(r) for r in runs],
        timeline=timeline(conn, run_ids, counted),
        taken_timeline=taken_timeline(conn, run_ids, counted),
        audit=audit_state(conn, int(row.id)),
        revision=_revision_shown(view),
        marking=marking.strip(),
        graded=items.graded(),
    )
    report.category_order = _category_order(scheme, report)
    _flag_new_material(conn, int(row.id), report)
    if not view.is_latest:
        report.notes.append(
            f"This report shows revision {view.number} of the case's results; "
            f"the newest is revision {view.latest}."
        )
    if any(r.status != "complete" for r in runs):
        report.notes.append(
            "A scan of this case is unfinished: the counts cover only what it has read so far."
        )
    for e in exhibits:
        if e.superseded_runs:
            earlier = ", ".join(str(r) for r in e.superseded_runs)
            name = named(e.label)
            report.notes.append(
                f"{name[0].upper()}{name[1:]} was scanned again: run {e.run_id} is counted; "
                f"earlier run(s) {earlier} are superseded and not counted."
            )
    return report


def _flag_new_material(conn: Connection, case_id: int, report: Report) -> None:
    # Per MD5, as the store knows it now: a set imported later, or an earlier case
    # summarised later, can clear the flag (it is a lead for victim identification,
    # not a court figure, so the report says "as of" when it is made).
    new = new_material(conn, case_id)
    if not new:
        return
    for rows in (report.unknown, report.graded):
        for r in rows:
            r.new_material = r.md5 in new
    report.new_material = sum(1 for r in report.unknown if r.new_material)
    report.unknown.sort(key=lambda r: not r.new_material)  # listed first


def _revision_shown(view: ResultView) -> RevisionShown:
    info = view.info
    return RevisionShown(
        number=view.number,
        latest=view.latest,
        kind=info.kind if info else None,
        created_at=utc(info.created_at) if info else None,
        created_by=info.created_by if info else None,
    )


def _exhibits(
    conn: Connection,
    case_id: int,
    case_name: str,
    runs: list[Any],
    view: ResultView,
    leave_out: ColumnElement[bool] | None = None,
) -> list[Exhibit]:
    """The case's exhibits in order, each with the counts of its counted scan."""
    details = {
        str(x.reference): x
        for x in conn.execute(select(exhibit).where(exhibit.c.case_id == case_id))
    }
    scans: dict[int, list[tuple[Any, dict[str, Any]]]] = defaultdict(list)
    for run in runs:
        for ev in run.evidence:
            # A row written without an exhibit (none since rev 0005) stands alone.
            key = ev["exhibit_id"] if ev["exhibit_id"] is not None else -int(ev["id"])
            scans[int(key)].append((run, ev))
    out = []
    for history in scans.values():
        counted = [(run, ev) for run, ev in history if ev["counted"]]
        if not counted:
            continue
        run, ev = counted[-1]
        reference = str(ev["exhibit"])
        detail = details.get(reference)
        out.append(
            Exhibit(
                id=int(ev["id"]),
                run_id=int(run.id),
                ordinal=int(ev["ordinal"]),
                label=reference,
                path=ev["path"],
                kind=ev["kind"],
                sha256=ev["sha256"],
                size=ev["size"],
                info=ev.get("info"),
                summary=summarise(
                    conn, case_name, evidence_id=int(ev["id"]), leave_out=leave_out, view=view
                ),
                description=detail.description if detail is not None else None,
                seized_at=detail.seized_at if detail is not None else None,
                seized_when=detail.seized_when if detail is not None else None,
                superseded_runs=[int(r.id) for r, e in history if not e["counted"]],
            )
        )
    return out


class _Items:
    """Item rows of the case's runs, with their exhibit labels, graded-set matches and grades."""

    def __init__(
        self,
        conn: Connection,
        run_ids: list[int],
        evidence_ids: list[int],
        labels: dict[int, str],
        view: ResultView,
        grades: dict[int, GradeRecord],
        leave_out: ColumnElement[bool] | None = None,
    ) -> None:
        self.conn = conn
        self.leave_out = leave_out
        # The counted scans only: a superseded run's items are not the exhibit's any more.
        self.scope = and_(item.c.run_id.in_(run_ids), item.c.evidence_id.in_(evidence_ids))
        self.labels = labels
        self.grades = grades
        self.view = view
        self.review_sets = view.graded_sets
        self.versions = {
            (run_id, s.hashset_id): s.version for run_id, sets in view.sets.items() for s in sets
        }

    def plain(self, condition: Any) -> list[ItemRow]:
        """Items meeting ``condition``, in locator order."""
        query = (
            select(item).where(self.scope, condition).order_by(item.c.evidence_id, item.c.display)
        )
        return [self._row(r) for r in self.conn.execute(query)]

    def graded(self) -> list[ItemRow]:
        """Every item graded in review, with its grade, in locator order."""
        if not self.grades:
            return []
        graded: ColumnElement[bool] = exists().where(grade.c.item_id == item.c.id)
        if self.leave_out is not None:
            graded = graded & ~self.leave_out
        return self.plain(graded)

    def hits(self) -> list[ItemRow]:
        """Items with a graded-set hit, each with every such match and the category it counts as."""
        review = review_of(self.view)
        hit = review == "hit"
        if self.leave_out is not None:
            hit = hit & ~self.leave_out
        rows = self.plain(hit)
        by_id = {r.id: r for r in rows}
        matches: dict[int, list[Any]] = defaultdict(list)
        query = (
            select(match, item.c.run_id)
            .join(item, item.c.id == match.c.item_id)
            .where(
                self.scope,
                in_view(self.view),
                review == "hit",
                match.c.known_good.is_(False),
            )
            .order_by(match.c.item_id, match.c.distance, match.c.hashset_name)
        )
        for m in self.conn.execute(query):
            matches[int(m.item_id)].append(m)
        for item_id, found in matches.items():
            row = by_id.get(item_id)
            if row is None:
                continue
            row.category, _ = item_category(found)
            row.basis = basis(found, self.review_sets)
            row.matches = [
                MatchRow(
                    hashset=m.hashset_name,
                    set_category=hit_label(m),
                    algorithm=m.algorithm,
                    distance=int(m.distance),
                    variant=m.variant,
                    set_version=self.versions.get((int(m.run_id), int(m.hashset_id))),
                    set_revision=m.set_revision,
                    frame_s=m.frame_s,
                    segments=(m.detail or {}).get("segments"),
                )
                for m in found
            ]
        return rows

    def _row(self, r: Row[Any]) -> ItemRow:
        return ItemRow(
            id=int(r.id),
            exhibit=self.labels.get(int(r.evidence_id), str(r.evidence_id)),
            locator=r.display,
            locator_key=r.locator,
            name=r.name,
            family=r.family,
            file_type=r.file_type,
            location=r.location,
            size=r.size,
            mtime=datetime.fromtimestamp(r.mtime, UTC) if r.mtime is not None else None,
            md5=_hex(r.md5),
            sha1=_hex(r.sha1),
            sha256=_hex(r.sha256),
            pdq=_hex(r.pdq),
            pdq_quality=r.pdq_quality,
            status=r.status,
            reason=r.reason,
            grade=self.grades.get(int(r.id)),
            exif=exif_row(r),
        )


def _findings(
    conn: Connection, run_ids: list[int], evidence_ids: list[int], labels: dict[int, str]
) -> list[FindingRow]:
    """Findings of the counted runs; one resting on an item only if that item's scan counts."""
    query = (
        select(finding, item.c.display, item.c.evidence_id)
        .outerjoin(item, item.c.id == finding.c.item_id)
        .where(
            finding.c.run_id.in_(run_ids),
            or_(finding.c.item_id.is_(None), item.c.evidence_id.in_(evidence_ids)),
        )
        .order_by(finding.c.id)
    )
    out = []
    for f in conn.execute(query):
        locators = f.locators if isinstance(f.locators, list) else []
        out.append(
            FindingRow(
                rule_id=f.rule_id,
                family=f.family,
                severity=f.severity,
                description=f.description,
                exhibit=labels.get(int(f.evidence_id)) if f.evidence_id is not None else None,
                locators=[_display(x) for x in locators] or ([f.display] if f.display else []),
                detail=f.detail,
            )
        )
    return out


def _display(key: object) -> str:
    """A locator key for people (``os:/… → zip:…``); anything else as it is."""
    try:
        return Locator.from_json(key if isinstance(key, str | list) else str(key)).display()
    except (ValueError, TypeError, KeyError, AttributeError):
        return str(key)


def _category_order(scheme: Scheme, report: Report) -> list[str]:
    """The SFR rows: the scheme's indecent categories always, any other label that was met."""
    seen = set(report.summary.categories)
    for one in report.exhibits:
        seen |= set(one.summary.categories)
    order = [c.label for c in scheme.categories if c.indecent or c.label in seen]
    extra = sorted(seen - set(order) - {CONFLICT})
    return order + extra + ([CONFLICT] if CONFLICT in seen else [])


def exif_row(r: Row[Any]) -> ExifRow | None:
    """An item row's EXIF (None when the scan found none, or ran before rev 0009)."""
    found = (r.exif_taken, r.camera_make, r.camera_model, r.exif_software, r.gps_present)
    if all(value is None for value in found):
        return None
    return ExifRow(
        taken=r.exif_taken,
        camera_make=r.camera_make,
        camera_model=r.camera_model,
        software=r.exif_software,
        gps_present=bool(r.gps_present),
    )


def _hex(value: bytes | None) -> str | None:
    return value.hex() if value is not None else None
