"""Provenance of a report: the hash sets matched against, each scan run, the audit chains.

What a result rests on must be in the report: tool and decoder versions,
thresholds and limits, which version of which set (with the SHA-256 of the
file it came from), and the audit chain's head so that a later
``vigil audit verify --head`` can prove nothing was cut from its end.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Row, select

from vigil.audit import GLOBAL_SCOPE, case_scope, head, verify
from vigil.hashing.pdq import LOW_QUALITY
from vigil.reports.model import AuditState, HashSetUsed, RunProvenance
from vigil.store.schema import hashset, hashset_version, item, match


def sets_used(conn: Connection, runs: Sequence[Row[Any]], run_ids: list[int]) -> list[HashSetUsed]:
    """The sets each run recorded, then any set matched since (review grades) with no run."""
    used = [_set_used(r.id, s) for r in runs for s in r.hashsets]
    recorded = {int(s["id"]) for r in runs for s in r.hashsets if "id" in s}
    later = (
        select(
            hashset.c.id,
            hashset.c.name,
            hashset.c.known_good,
            hashset.c.scheme,
            hashset_version.c.version,
            hashset_version.c.source_date,
            hashset_version.c.source_sha256,
            hashset_version.c.entry_count,
            hashset_version.c.imported_at,
        )
        .join(hashset_version, hashset_version.c.id == hashset.c.current_version_id)
        .where(
            hashset.c.id.in_(
                select(match.c.hashset_id)
                .join(item, item.c.id == match.c.item_id)
                .where(item.c.run_id.in_(run_ids))
            ),
            hashset.c.id.not_in(recorded),
        )
        .order_by(hashset.c.name)
    )
    for r in conn.execute(later):
        used.append(
            _set_used(
                None,
                {
                    **dict(r._mapping),
                    "imported_at": r.imported_at.isoformat() if r.imported_at else None,
                },
            )
        )
    return used


def _set_used(run_id: int | None, recorded: dict[str, Any]) -> HashSetUsed:
    count = recorded.get("entry_count")
    return HashSetUsed(
        run_id=run_id,
        name=str(recorded.get("name")),
        known_good=bool(recorded.get("known_good")),
        scheme=str(recorded.get("scheme")),
        version=recorded.get("version"),
        source_date=recorded.get("source_date"),
        source_sha256=recorded.get("source_sha256"),
        entry_count=int(count) if count is not None else None,
        imported_at=recorded.get("imported_at"),
    )


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
