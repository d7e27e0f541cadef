"""Exhibits of a case: what was seized, where and when, and every scan of it.

An exhibit is one PATH given to ``vigil scan`` (a folder, a disk image, an
archive) under a reference such as ``JS/1`` that reports print. Scanning
evidence that already is an exhibit of the case (the same resolved path, or a
file with the same SHA-256) is refused unless it is asked for as a re-scan;
a re-scan is a new run of the same exhibit, and only the latest finished run
of an exhibit counts (``runs.counted_evidence``).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, Row, insert, select, update

from vigil.audit import append, case_scope
from vigil.cases.case import get_case
from vigil.cases.runs import EvidenceSource, counted_evidence
from vigil.errors import AlreadyAnExhibitError, NotFoundError, SourceError, UsageError
from vigil.sources.locator import escape_path
from vigil.store.engine import inserted_id
from vigil.store.schema import case, evidence, exhibit, scan_run

DEFAULT_PREFIX = "Exhibit"
"""Default references are ``Exhibit 1``, ``Exhibit 2`` … (the first one free in the case)."""

_MAX_REFERENCE = 100


@dataclass(frozen=True, slots=True)
class ExhibitRequest:
    """What ``vigil scan`` was told about the exhibits it scans."""

    references: tuple[str, ...] = ()  # one per PATH, in order, or none (defaults)
    description: str | None = None
    seized_at: str | None = None
    seized_when: str | None = None
    rescan: bool = False


@dataclass(frozen=True, slots=True)
class Assignment:
    """The exhibit one PATH of a new run scans, and the run it supersedes if a re-scan."""

    ordinal: int
    exhibit_id: int
    reference: str
    created: bool
    supersedes_run: int | None


@dataclass(slots=True)
class ExhibitRun:
    """One scan of an exhibit; ``counted`` is False for a superseded (or unfinished) run."""

    run_id: int
    evidence_id: int
    status: str
    examiner: str
    started_at: datetime
    finished_at: datetime | None
    path: str
    sha256: str | None
    counted: bool


@dataclass(slots=True)
class ExhibitInfo:
    """An exhibit of a case with its runs, oldest first."""

    id: int
    case: str
    reference: str
    description: str | None
    seized_at: str | None
    seized_when: str | None
    path: str
    kind: str
    sha256: str | None
    size: int | None
    created_at: datetime
    created_by: str
    runs: list[ExhibitRun] = field(default_factory=list)

    @property
    def counted_run(self) -> int | None:
        """The run whose items count for this exhibit (None before any scan)."""
        return next((r.run_id for r in self.runs if r.counted), None)


def named(reference: str) -> str:
    """``exhibit JS/1`` in a sentence; a default reference (``Exhibit 2``) names itself."""
    return reference if reference.startswith(DEFAULT_PREFIX + " ") else f"exhibit {reference}"


def check_reference(reference: str) -> str:
    """A reference as stored: stripped, non-empty, printable, at most 100 characters."""
    cleaned = reference.strip()
    if not cleaned:
        raise UsageError("an exhibit reference cannot be empty")
    if len(cleaned) > _MAX_REFERENCE:
        raise UsageError(f"an exhibit reference has at most {_MAX_REFERENCE} characters")
    if not cleaned.isprintable():
        raise UsageError(f"exhibit reference {reference!r} holds control characters")
    return cleaned


def check_seized_when(value: str) -> str:
    """An ISO 8601 date (``2026-01-03``) or date-time (``2026-01-03T14:20``), normalised."""
    text = value.strip()
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(text).isoformat(timespec="minutes")
    except ValueError:
        raise UsageError(
            f"seized date {value!r} is not an ISO 8601 date (2026-01-03) or date-time "
            "(2026-01-03T14:20)"
        ) from None


def plan_exhibits(
    conn: Connection, case_id: int, sources: list[EvidenceSource], request: ExhibitRequest
) -> list[Assignment]:
    """Which exhibit each PATH of a new run scans, creating no rows yet.

    Raises AlreadyAnExhibitError when a PATH already is an exhibit of the case
    and ``request.rescan`` is not set, and UsageError for references that
    cannot be used (one per PATH, each unused in this scan).
    """
    if request.references and len(request.references) != len(sources):
        raise UsageError(
            f"give --exhibit once per PATH ({len(sources)} PATHs, "
            f"{len(request.references)} references) or not at all"
        )
    if request.description is not None and len(sources) > 1:
        raise UsageError("--description describes one exhibit: scan one PATH with it")
    if request.seized_when is not None:
        check_seized_when(request.seized_when)
    references = [check_reference(r) for r in request.references]
    if len(set(references)) != len(references):
        raise UsageError("each PATH needs its own --exhibit reference")
    known = _case_exhibits(conn, case_id)
    taken = {str(r.reference) for r in known}
    plan: list[Assignment] = []
    given: set[bytes] = set()
    for index, source in enumerate(sources):
        if _resolved(source.path) in given:
            raise UsageError(f"{source.display} is given twice: one PATH is one exhibit")
        given.add(_resolved(source.path))
        wanted = references[index] if references else None
        earlier = _same_evidence(conn, known, source)
        if earlier is None and wanted is not None:
            earlier = next((r for r in known if r.reference == wanted), None)
            if earlier is not None and not request.rescan:
                raise UsageError(
                    f"{named(wanted)} of this case is already {earlier.path}; give another "
                    f"--exhibit for {source.display} (or --rescan if it is the same exhibit)"
                )
        if earlier is not None:
            plan.append(_rescan_of(conn, earlier, source, wanted, request.rescan, index + 1))
            continue
        reference = wanted or _next_default(taken)
        taken.add(reference)
        plan.append(Assignment(source.ordinal, 0, reference, True, None))
    exhibit_ids = [a.exhibit_id for a in plan if not a.created]
    if len(set(exhibit_ids)) != len(exhibit_ids):
        raise UsageError("two PATHs of this scan are the same exhibit: give it once")
    details = (request.description, request.seized_at, request.seized_when)
    again = next((a for a in plan if not a.created), None)
    if again is not None and any(d is not None for d in details):
        raise UsageError(
            f"--description, --seized-at and --seized-on describe a new exhibit; "
            f"`vigil exhibit edit {again.reference!r} --case …` changes {named(again.reference)}"
        )
    return plan


def record_exhibits(
    conn: Connection,
    case_id: int,
    sources: list[EvidenceSource],
    plan: list[Assignment],
    request: ExhibitRequest,
    user: str,
) -> dict[int, int]:
    """Create the new exhibits of ``plan`` (audited); their ids by PATH ordinal."""
    by_ordinal = {s.ordinal: s for s in sources}
    ids: dict[int, int] = {}
    now = datetime.now(UTC)
    seized_when = check_seized_when(request.seized_when) if request.seized_when else None
    for step in plan:
        if not step.created:
            ids[step.ordinal] = step.exhibit_id
            continue
        source = by_ordinal[step.ordinal]
        values: dict[str, Any] = {
            "reference": step.reference,
            "description": request.description,
            "seized_at": request.seized_at,
            "seized_when": seized_when,
        }
        ids[step.ordinal] = inserted_id(
            conn.execute(
                insert(exhibit).values(
                    case_id=case_id,
                    path=escape_path(source.display),
                    path_bytes=_resolved(source.path),
                    kind=source.kind,
                    created_at=now,
                    created_by=user,
                    **values,
                )
            )
        )
        detail = {**values, "path": escape_path(source.display), "kind": source.kind}
        append(conn, case_scope(case_id), user, "exhibit.create", step.reference, detail)
    return ids


def audit_rescans(
    conn: Connection, case_id: int, run_id: int, plan: list[Assignment], user: str
) -> None:
    """Say in the case's audit log which run each re-scanned exhibit's new run supersedes."""
    for step in plan:
        if step.created:
            continue
        append(
            conn,
            case_scope(case_id),
            user,
            "exhibit.rescan",
            step.reference,
            {"run": run_id, "supersedes_run": step.supersedes_run},
        )


def record_container_hash(
    conn: Connection, evidence_id: int, sha256: str, size: int | None
) -> None:
    """Keep a file exhibit's SHA-256 (and size) once a scan has read the file."""
    exhibit_id = conn.execute(
        select(evidence.c.exhibit_id).where(evidence.c.id == evidence_id)
    ).scalar()
    if exhibit_id is None:
        return
    conn.execute(
        update(exhibit)
        .where(exhibit.c.id == exhibit_id, exhibit.c.sha256.is_(None))
        .values(sha256=sha256, size=size)
    )


def list_exhibits(conn: Connection, case_name: str) -> list[ExhibitInfo]:
    """Every exhibit of the case with its runs, in the order they were made."""
    case_row = get_case(conn, case_name)
    rows = conn.execute(
        select(exhibit).where(exhibit.c.case_id == case_row.id).order_by(exhibit.c.id)
    ).all()
    counted = set(counted_evidence(conn, int(case_row.id)).values())
    runs_of: dict[int, list[ExhibitRun]] = {int(r.id): [] for r in rows}
    query = (
        select(evidence, scan_run.c.status, scan_run.c.examiner, scan_run.c.started_at)
        .add_columns(scan_run.c.finished_at)
        .join(scan_run, scan_run.c.id == evidence.c.run_id)
        .where(scan_run.c.case_id == case_row.id)
        .order_by(evidence.c.run_id)
    )
    for ev in conn.execute(query):
        if ev.exhibit_id is None or int(ev.exhibit_id) not in runs_of:
            continue
        runs_of[int(ev.exhibit_id)].append(
            ExhibitRun(
                run_id=int(ev.run_id),
                evidence_id=int(ev.id),
                status=str(ev.status),
                examiner=str(ev.examiner),
                started_at=ev.started_at,
                finished_at=ev.finished_at,
                path=str(ev.path),
                sha256=ev.sha256,
                counted=int(ev.id) in counted,
            )
        )
    return [_info(case_row.name, r, runs_of[int(r.id)]) for r in rows]


def get_exhibit(conn: Connection, case_name: str, reference: str) -> ExhibitInfo:
    """One exhibit of the case by reference; NotFoundError lists the case's references."""
    found = list_exhibits(conn, case_name)
    for info in found:
        if info.reference == reference.strip():
            return info
    known = ", ".join(i.reference for i in found) or "none yet"
    raise NotFoundError(f"case {case_name!r} has no exhibit {reference!r} (known: {known})")


def edit_exhibit(
    conn: Connection, case_name: str, reference: str, changes: dict[str, str | None], user: str
) -> ExhibitInfo:
    """Change an exhibit's reference, description or seizure details (audited, old and new).

    ``changes`` maps ``reference``, ``description``, ``seized_at`` or
    ``seized_when`` to the new value ("" clears all but the reference).
    """
    current = get_exhibit(conn, case_name, reference)
    allowed = {"reference", "description", "seized_at", "seized_when"}
    unknown = set(changes) - allowed
    if unknown:
        raise UsageError(f"an exhibit has no field {sorted(unknown)[0]!r}")
    values: dict[str, str | None] = {}
    for key, value in changes.items():
        if key == "reference":
            value = check_reference(value or "")
        elif key == "seized_when" and value:
            value = check_seized_when(value)
        values[key] = value or None
    before = {k: getattr(current, k) for k in values}
    values = {k: v for k, v in values.items() if before[k] != v}
    if not values:
        raise UsageError(f"exhibit {current.reference}: nothing to change")
    case_id = int(get_case(conn, case_name).id)
    new_reference = values.get("reference")
    if (
        new_reference is not None
        and conn.execute(
            select(exhibit.c.id).where(
                exhibit.c.case_id == case_id, exhibit.c.reference == new_reference
            )
        ).first()
    ):
        raise UsageError(f"case {case_name!r} already has an exhibit {new_reference}")
    conn.execute(update(exhibit).where(exhibit.c.id == current.id).values(**values))
    append(
        conn,
        case_scope(case_id),
        user,
        "exhibit.edit",
        current.reference,
        {"before": {k: before[k] for k in values}, "after": values},
    )
    return get_exhibit(conn, case_name, new_reference or current.reference)


def _case_exhibits(conn: Connection, case_id: int) -> list[Row[Any]]:
    return list(
        conn.execute(select(exhibit).where(exhibit.c.case_id == case_id).order_by(exhibit.c.id))
    )


def _same_evidence(
    conn: Connection, known: list[Row[Any]], source: EvidenceSource
) -> Row[Any] | None:
    """The exhibit that ``source`` already is: the same resolved path, or a file of equal hash."""
    resolved = _resolved(source.path)
    for row in known:
        stored = bytes(row.path_bytes)
        if resolved in (stored, _resolved(stored)) or source.path == stored:
            return row
    if source.kind != "file":
        return None
    hashes = _known_file_hashes(conn, known)
    try:
        size = os.path.getsize(source.path)
    except OSError as exc:
        raise SourceError(f"cannot read {source.display}: {exc.strerror}") from exc
    same_size = [(row, digest) for row, digest, known_size in hashes if known_size == size]
    if not same_size:
        return None
    # Hashing reads the whole file: done only when an exhibit of this size exists.
    digest = _sha256(source)
    return next((row for row, known_digest in same_size if known_digest == digest), None)


def _known_file_hashes(
    conn: Connection, known: list[Row[Any]]
) -> list[tuple[Row[Any], str, int | None]]:
    """(exhibit, SHA-256, size) of every file exhibit's container, from any of its runs."""
    by_id = {int(r.id): r for r in known}
    out = [(r, str(r.sha256), r.size) for r in known if r.sha256 is not None]
    if by_id:
        for ev in conn.execute(
            select(evidence.c.exhibit_id, evidence.c.sha256, evidence.c.size).where(
                evidence.c.exhibit_id.in_(list(by_id)), evidence.c.sha256.is_not(None)
            )
        ):
            out.append((by_id[int(ev.exhibit_id)], str(ev.sha256), ev.size))
    return out


def _rescan_of(
    conn: Connection,
    earlier: Row[Any],
    source: EvidenceSource,
    wanted: str | None,
    rescan: bool,
    position: int,
) -> Assignment:
    last = conn.execute(
        select(evidence.c.run_id)
        .where(evidence.c.exhibit_id == earlier.id)
        .order_by(evidence.c.run_id.desc())
    ).first()
    last_run = int(last.run_id) if last is not None else None
    if not rescan:
        case_name = conn.execute(select(case.c.name).where(case.c.id == earlier.case_id)).scalar()
        run_text = f"run {last_run}" if last_run is not None else "an earlier run"
        raise AlreadyAnExhibitError(
            f"{source.display} is already {named(str(earlier.reference))} of case {case_name} "
            f"(scanned in {run_text} from {earlier.path}); scanning it again would count it "
            f"twice: give --rescan to replace {run_text} in the counts with a new run"
        )
    if wanted is not None and wanted != earlier.reference:
        raise UsageError(
            f"PATH {position} ({source.display}) is {named(str(earlier.reference))} of this "
            f"case, not {wanted}"
        )
    return Assignment(source.ordinal, int(earlier.id), str(earlier.reference), False, last_run)


def _next_default(taken: set[str]) -> str:
    number = 1
    while f"{DEFAULT_PREFIX} {number}" in taken:
        number += 1
    return f"{DEFAULT_PREFIX} {number}"


def _resolved(path: bytes) -> bytes:
    """The path with symbolic links and ``..`` resolved (what "the same evidence" compares)."""
    return os.path.realpath(path)


def _sha256(source: EvidenceSource) -> str:
    try:
        with open(source.path, "rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError as exc:
        raise SourceError(f"cannot read {source.display}: {exc.strerror}") from exc


def _info(case_name: str, row: Row[Any], runs: list[ExhibitRun]) -> ExhibitInfo:
    return ExhibitInfo(
        id=int(row.id),
        case=case_name,
        reference=str(row.reference),
        description=row.description,
        seized_at=row.seized_at,
        seized_when=row.seized_when,
        path=str(row.path),
        kind=str(row.kind),
        sha256=row.sha256,
        size=row.size,
        created_at=row.created_at,
        created_by=str(row.created_by),
        runs=runs,
    )
