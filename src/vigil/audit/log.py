"""Append-only audit chains and their verification.

Each scope ("global" for the library and accounts, "case:<id>" for a case) is
one chain. An entry's hash covers its own fields and the previous entry's hash,
and ``seq`` runs 1, 2, 3… so that verification can name the entry that was
edited (its hash no longer matches), inserted (the chain link breaks before it)
or deleted (a gap in ``seq``, or a broken link). Deleting the *last* entries
leaves a valid shorter chain: reports print the head hash so a later
``verify --head`` can prove nothing was cut from the end.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from vigil.errors import StoreError
from vigil.inert import inert, inert_value
from vigil.store.schema import audit_log

GLOBAL_SCOPE = "global"
GENESIS = "0" * 64
_APPEND_ATTEMPTS = 20


def case_scope(case_id: int) -> str:
    """The chain of one case."""
    return f"case:{case_id}"


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One stored entry, as read back."""

    id: int
    scope: str
    seq: int
    at: datetime
    actor: str
    action: str
    target: str | None
    detail: dict[str, Any] | None
    prev_hash: str
    entry_hash: str

    def as_json(self) -> dict[str, Any]:
        """The entry as a JSON-ready dict."""
        return {
            "seq": self.seq,
            "scope": self.scope,
            "at": self.at.isoformat(),
            "actor": self.actor,
            "action": self.action,
            "target": self.target,
            "detail": self.detail,
            "prev_hash": self.prev_hash,
            "entry_hash": self.entry_hash,
        }


@dataclass(frozen=True, slots=True)
class ChainProblem:
    """Where a chain stops being trustworthy, and why."""

    seq: int
    kind: str  # edited, inserted, deleted, truncated
    message: str


def entry_digest(
    scope: str,
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    target: str | None,
    detail: dict[str, Any] | None,
    prev_hash: str,
) -> str:
    """SHA-256 over the canonical JSON of an entry's fields (stable across databases)."""
    canonical = json.dumps(
        {
            "scope": scope,
            "seq": seq,
            "at": _utc(at).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "actor": actor,
            "action": action,
            "target": target,
            "detail": detail,
            "prev": prev_hash,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=True,
    )
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


def append(
    conn: Connection,
    scope: str,
    actor: str,
    action: str,
    target: str | None = None,
    detail: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEntry:
    """Append one entry to ``scope`` inside the caller's transaction.

    Two writers racing for the same ``seq`` collide on the unique constraint;
    the loser retries in a savepoint, so a chain never forks.
    """
    when = _utc(at or datetime.now(UTC))
    # Microseconds survive every backend; the digest must see what is stored.
    detail = json.loads(json.dumps(detail)) if detail is not None else None
    # Targets and details can quote evidence (names, paths): stored inert, never
    # cut (a target is looked for whole), and hashed as stored.
    actor = inert(actor, None)
    target = None if target is None else inert(target, None)
    detail = inert_value(detail, None)
    for _ in range(_APPEND_ATTEMPTS):
        last = conn.execute(
            sa.select(audit_log.c.seq, audit_log.c.entry_hash)
            .where(audit_log.c.scope == scope)
            .order_by(audit_log.c.seq.desc())
            .limit(1)
        ).first()
        seq = 1 if last is None else int(last.seq) + 1
        prev = GENESIS if last is None else str(last.entry_hash)
        digest = entry_digest(scope, seq, when, actor, action, target, detail, prev)
        values: dict[str, Any] = {
            "scope": scope,
            "seq": seq,
            "at": when,
            "actor": actor,
            "action": action,
            "target": target,
            "detail": detail,
            "prev_hash": prev,
            "entry_hash": digest,
        }
        try:
            with conn.begin_nested():
                result = conn.execute(audit_log.insert().values(**values))
        except IntegrityError:
            continue
        new_id = result.inserted_primary_key[0] if result.inserted_primary_key else 0
        return AuditEntry(
            int(new_id), scope, seq, when, actor, action, target, detail, prev, digest
        )
    raise StoreError(
        f"audit: could not append to {scope}: {_APPEND_ATTEMPTS} other writers took the next "
        "entry first; try again"
    )


def entries(conn: Connection, scope: str) -> Iterator[AuditEntry]:
    """Every entry of ``scope`` in chain order."""
    rows = conn.execute(
        sa.select(audit_log).where(audit_log.c.scope == scope).order_by(audit_log.c.seq)
    )
    for row in rows:
        yield AuditEntry(
            id=int(row.id),
            scope=row.scope,
            seq=int(row.seq),
            at=_utc(row.at),
            actor=row.actor,
            action=row.action,
            target=row.target,
            detail=row.detail,
            prev_hash=row.prev_hash,
            entry_hash=row.entry_hash,
        )


def head(conn: Connection, scope: str) -> tuple[int, str]:
    """The last ``seq`` and its hash (0 and the genesis hash for an empty chain)."""
    last = conn.execute(
        sa.select(audit_log.c.seq, audit_log.c.entry_hash)
        .where(audit_log.c.scope == scope)
        .order_by(audit_log.c.seq.desc())
        .limit(1)
    ).first()
    return (0, GENESIS) if last is None else (int(last.seq), str(last.entry_hash))


def verify(conn: Connection, scope: str, expected_head: str | None = None) -> list[ChainProblem]:
    """Check the chain; an empty list means intact (and ending at ``expected_head`` if given)."""
    problems: list[ChainProblem] = []
    prev_hash = GENESIS
    expected_seq = 1
    seen_head = False
    for entry in entries(conn, scope):
        if entry.seq != expected_seq:
            missing = (
                f"{expected_seq}"
                if entry.seq == expected_seq + 1
                else f"{expected_seq}–{entry.seq - 1}"
            )
            problems.append(
                ChainProblem(
                    entry.seq, "deleted", f"entry {missing} missing before entry {entry.seq}"
                )
            )
        digest = entry_digest(
            entry.scope,
            entry.seq,
            entry.at,
            entry.actor,
            entry.action,
            entry.target,
            entry.detail,
            entry.prev_hash,
        )
        if digest != entry.entry_hash:
            problems.append(
                ChainProblem(
                    entry.seq, "edited", f"entry {entry.seq} was changed after it was written"
                )
            )
        elif entry.prev_hash != prev_hash and entry.seq == expected_seq:
            problems.append(
                ChainProblem(
                    entry.seq,
                    "inserted",
                    f"entry {entry.seq} does not follow entry {entry.seq - 1}: "
                    "an entry was inserted or replaced before it",
                )
            )
        if expected_head is not None and entry.entry_hash == expected_head:
            seen_head = True
        prev_hash = entry.entry_hash
        expected_seq = entry.seq + 1
    if expected_head is not None and not seen_head and expected_head != GENESIS:
        problems.append(
            ChainProblem(
                expected_seq,
                "truncated",
                f"the recorded head {expected_head[:16]}… is not in the chain: "
                "entries were removed from its end or it was rewritten",
            )
        )
    return problems


def _utc(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; they were stored as UTC.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
