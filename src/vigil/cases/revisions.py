"""Revisions of a case's results, and the hash-set versions each one matched against.

A scan run's hits are revision 1 of its results (or the case's latest revision
number, for a run scanned after a re-match). ``vigil case rematch`` makes the
next revision of every run from today's library; earlier ones stay, so a report
of revision 1 shows next year what it shows today. A case revision N shows, for
each run, the run's newest result numbered N or less; a run with none did not
exist yet.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select

from vigil.errors import NotFoundError, UsageError
from vigil.store.engine import inserted_id
from vigil.store.schema import result_hashset_version, result_revision

SCAN = "scan"
REMATCH = "rematch"


@dataclass(frozen=True, slots=True)
class SetVersion:
    """A hash set as a result revision matched against it (copied then, kept since)."""

    hashset_id: int
    name: str
    scheme: str
    known_good: bool
    set_revision: int | None
    version: str | None
    source_date: str | None
    source_sha256: str | None
    format: str | None
    entry_count: int | None
    imported_at: datetime | None


@dataclass(frozen=True, slots=True)
class RevisionInfo:
    """One revision of a case's results: its number, how and when it was made, by whom."""

    number: int
    kind: str
    created_at: datetime
    created_by: str
    runs: tuple[int, ...]


@dataclass(slots=True)
class ResultView:
    """Which result of each run a case revision shows, and what those results matched."""

    number: int
    latest: int
    result_ids: dict[int, int] = field(default_factory=dict)  # run id → result id
    sets: dict[int, list[SetVersion]] = field(default_factory=dict)  # run id → sets
    revisions: list[RevisionInfo] = field(default_factory=list)

    @property
    def is_latest(self) -> bool:
        """True when the view is of the newest revision (what item.review describes)."""
        return self.number == self.latest

    @property
    def graded_sets(self) -> set[int]:
        """Sets that held officers' review grades when matched (format "graded")."""
        return {s.hashset_id for sets in self.sets.values() for s in sets if s.format == "graded"}

    @property
    def info(self) -> RevisionInfo | None:
        """The revision shown, if the case has any."""
        return next((r for r in self.revisions if r.number == self.number), None)


def latest_number(conn: Connection, case_id: int) -> int:
    """The case's newest revision number (0 when nothing was scanned)."""
    value = conn.execute(
        select(func.max(result_revision.c.number)).where(result_revision.c.case_id == case_id)
    ).scalar()
    return int(value or 0)


def start_result(
    conn: Connection,
    case_id: int,
    run_id: int,
    kind: str,
    user: str,
    sets: list[dict[str, Any]],
    number: int | None = None,
    detail: dict[str, Any] | None = None,
) -> int:
    """Insert a result revision of a run with the set versions it matches; returns its id.

    ``number`` defaults to the case's newest revision (1 for a first scan): a
    run scanned after a re-match belongs to the revision in force.
    """
    if number is None:
        number = max(latest_number(conn, case_id), 1)
    result_id = inserted_id(
        conn.execute(
            insert(result_revision).values(
                case_id=case_id,
                run_id=run_id,
                number=number,
                kind=kind,
                created_at=datetime.now(UTC),
                created_by=user,
                detail=detail,
            )
        )
    )
    record_sets(conn, result_id, sets)
    return result_id


def record_sets(conn: Connection, result_id: int, sets: list[dict[str, Any]]) -> list[str]:
    """Add the sets (``Matcher.describe()`` rows) a result has not recorded yet.

    A set already recorded keeps its first version: a resumed scan adds, never
    rewrites, what the result said it matched. Returns the names of recorded
    sets whose revision has moved since (their later hits carry the new one),
    for the caller to put on record.
    """
    recorded = result_hashset_version.c
    known = {
        int(r.hashset_id): r.set_revision
        for r in conn.execute(
            select(recorded.hashset_id, recorded.set_revision).where(
                recorded.result_id == result_id
            )
        )
    }
    rows = [_set_row(result_id, s) for s in sets if int(s["id"]) not in known]
    if rows:
        conn.execute(insert(result_hashset_version), rows)
    return sorted(
        str(s["name"])
        for s in sets
        if int(s["id"]) in known
        and known[int(s["id"])] is not None
        and known[int(s["id"])] != s.get("revision")
    )


def replace_set(conn: Connection, result_id: int, described: dict[str, Any]) -> None:
    """Record a set's version anew in a result (the review grades set, which grading
    changes while the result is the newest)."""
    conn.execute(
        delete(result_hashset_version).where(
            result_hashset_version.c.result_id == result_id,
            result_hashset_version.c.hashset_id == int(described["id"]),
        )
    )
    conn.execute(insert(result_hashset_version), [_set_row(result_id, described)])


def _set_row(result_id: int, s: dict[str, Any]) -> dict[str, Any]:
    imported = s.get("imported_at")
    count = s.get("entry_count")
    revision = s.get("revision")
    return {
        "result_id": result_id,
        "hashset_id": int(s["id"]),
        "name": str(s["name"]),
        "scheme": str(s["scheme"]),
        "known_good": bool(s["known_good"]),
        "set_revision": int(revision) if revision is not None else None,
        "version_id": s.get("version_id"),
        "version": s.get("version"),
        "source_date": s.get("source_date"),
        "source_sha256": s.get("source_sha256"),
        "format": s.get("format"),
        "entry_count": int(count) if count is not None else None,
        "imported_at": datetime.fromisoformat(imported) if isinstance(imported, str) else imported,
    }


def current_result_id(conn: Connection, run_id: int) -> int:
    """The id of a run's newest result revision (where its scan writes its hits)."""
    value = conn.execute(
        select(result_revision.c.id)
        .where(result_revision.c.run_id == run_id)
        .order_by(result_revision.c.number.desc())
        .limit(1)
    ).scalar()
    if value is None:
        raise UsageError(f"scan run {run_id} has no result revision")
    return int(value)


def revisions(conn: Connection, case_id: int) -> list[RevisionInfo]:
    """Every revision of the case, oldest first, with the runs it covers."""
    by_number: dict[int, list[Any]] = defaultdict(list)
    for r in conn.execute(
        select(result_revision)
        .where(result_revision.c.case_id == case_id)
        .order_by(result_revision.c.number, result_revision.c.id)
    ):
        by_number[int(r.number)].append(r)
    out = []
    for number, rows in sorted(by_number.items()):
        # A re-match names the revision; a scan joining it later does not.
        first = next((r for r in rows if r.kind == REMATCH), rows[0])
        out.append(
            RevisionInfo(
                number,
                first.kind,
                first.created_at,
                first.created_by,
                tuple(int(r.run_id) for r in rows),
            )
        )
    return out


def result_view(conn: Connection, case_id: int, number: int | None = None) -> ResultView:
    """The results case revision ``number`` shows (default: the newest).

    An unknown number is a usage error naming the revisions there are.
    """
    history = revisions(conn, case_id)
    latest = history[-1].number if history else 0
    wanted = latest if number is None else number
    if number is not None and not any(r.number == number for r in history):
        known = ", ".join(str(r.number) for r in history) or "none yet"
        raise NotFoundError(f"the case has no revision {number} (revisions: {known})")
    view = ResultView(number=wanted, latest=latest, revisions=history)
    for r in conn.execute(
        select(result_revision.c.id, result_revision.c.run_id)
        .where(result_revision.c.case_id == case_id, result_revision.c.number <= wanted)
        .order_by(result_revision.c.number)
    ):
        view.result_ids[int(r.run_id)] = int(r.id)  # newest ≤ wanted wins
    by_result = {result: run for run, result in view.result_ids.items()}
    for s in conn.execute(
        select(result_hashset_version)
        .where(result_hashset_version.c.result_id.in_(list(by_result)))
        .order_by(result_hashset_version.c.name)
    ):
        view.sets.setdefault(by_result[int(s.result_id)], []).append(
            SetVersion(
                hashset_id=int(s.hashset_id),
                name=s.name,
                scheme=s.scheme,
                known_good=bool(s.known_good),
                set_revision=s.set_revision,
                version=s.version,
                source_date=s.source_date,
                source_sha256=s.source_sha256,
                format=s.format,
                entry_count=s.entry_count,
                imported_at=s.imported_at,
            )
        )
    return view
