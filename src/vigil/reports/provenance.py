"""Provenance of a report: the hash sets matched against, each scan run, the audit chains.

What a result rests on must be in the report: tool and decoder versions,
thresholds and limits, which version of which set (with the SHA-256 of the
file it came from), and the audit chain's head so that a later
``vigil audit verify --head`` can prove nothing was cut from its end.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Row, select

from vigil.audit import GLOBAL_SCOPE, case_scope, head, verify
from vigil.cases.counting import in_view
from vigil.cases.revisions import ResultView
from vigil.hashing.pdq import LOW_QUALITY
from vigil.reports.model import AuditState, HashSetUsed, RunProvenance
from vigil.store.schema import item, match


def sets_used(conn: Connection, view: ResultView) -> list[HashSetUsed]:
    """The set versions each shown result recorded when it matched, whatever the library is now.

    A set with hits in the shown results but no recorded version (grades made
    in review before versions were recorded) is listed by name, run unknown.
    """
    used = [
        HashSetUsed(
            run_id=run_id,
            name=s.name,
            known_good=s.known_good,
            scheme=s.scheme,
            version=s.version,
            source_date=s.source_date,
            source_sha256=s.source_sha256,
            entry_count=s.entry_count,
            imported_at=utc(s.imported_at).isoformat() if s.imported_at else None,
            set_revision=s.set_revision,
        )
        for run_id, sets in sorted(view.sets.items())
        for s in sets
    ]
    recorded = {(run_id, s.hashset_id) for run_id, sets in view.sets.items() for s in sets}
    unrecorded = (
        select(item.c.run_id, match.c.hashset_id, match.c.hashset_name, match.c.known_good)
        .join(item, item.c.id == match.c.item_id)
        .where(in_view(view))
        .distinct()
    )
    extra: dict[str, bool] = {}
    for r in conn.execute(unrecorded):
        if (int(r.run_id), int(r.hashset_id)) not in recorded:
            extra[r.hashset_name] = bool(r.known_good)
    for name, known_good in sorted(extra.items()):
        used.append(HashSetUsed(None, name, known_good, "—", None, None, None, None, None))
    return used


def run_provenance(r: Row[Any]) -> RunProvenance:
    """Who ran a scan run, where, when, with which versions and thresholds."""
    params = dict(r.params or {})
    thresholds = {
        "pdq_match_distance_bits": params.get("pdq_threshold"),
        "pdq_min_quality": LOW_QUALITY,
        "fast_decode": params.get("fast_decode"),
        "workers": params.get("workers"),
        **{f"limit_{k}": v for k, v in dict(params.get("limits") or {}).items()},
    }
    return RunProvenance(
        id=int(r.id),
        status=r.status,
        examiner=r.examiner,
        host=r.host,
        started_at=utc(r.started_at),
        finished_at=utc(r.finished_at) if r.finished_at else None,
        elapsed_s=float(r.elapsed_s),
        resumed_count=int(r.resumed_count),
        versions={str(k): str(v) for k, v in dict(r.versions or {}).items()},
        thresholds=thresholds,
    )


def audit_state(conn: Connection, case_id: int) -> AuditState:
    """The case chain's head and verification, and the library chain's head."""
    seq, digest = head(conn, case_scope(case_id))
    problems = verify(conn, case_scope(case_id))
    global_seq, global_digest = head(conn, GLOBAL_SCOPE)
    return AuditState(
        seq=seq,
        head=digest,
        intact=not problems,
        problems=[p.message for p in problems],
        global_seq=global_seq,
        global_head=global_digest,
    )


def utc(value: datetime) -> datetime:
    """A stored timestamp as aware UTC (SQLite hands back naive ones, stored as UTC)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
