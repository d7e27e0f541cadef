"""The audit chain under a racing writer, and with values longer than a screen.

A second writer that takes the next ``seq`` between our read of the head and our
insert is simulated by a connection whose first read of the head is one entry
stale: the insert then collides on (scope, seq), exactly as after a real race.
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from vigil.audit import append, case_scope, entries, verify
from vigil.audit.log import _APPEND_ATTEMPTS
from vigil.errors import StoreError
from vigil.inert import MAX_CHARS
from vigil.store.engine import Store
from vigil.store.schema import audit_log


class _StaleHead:
    """A connection whose first ``stale_reads`` head reads miss the newest entry."""

    def __init__(self, conn: Connection, stale_reads: int) -> None:
        self._conn = conn
        self.stale_reads = stale_reads

    def execute(self, statement: Any, *args: Any, **kwargs: Any) -> Any:
        is_head_read = isinstance(statement, sa.Select) and statement._limit == 1
        if is_head_read and self.stale_reads > 0:
            self.stale_reads -= 1
            statement = statement.offset(1)
        return self._conn.execute(statement, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


def _two_entries(store: Store, scope: str) -> None:
    with store.begin() as conn:
        append(conn, scope, "alice", "scan", target="t1")
        append(conn, scope, "alice", "scan", target="t2")


def test_a_writer_that_lost_the_race_retries_and_the_chain_stays_whole(store: Store) -> None:
    scope = case_scope(1)
    _two_entries(store, scope)
    with store.begin() as conn:
        racing = _StaleHead(conn, stale_reads=2)
        entry = append(racing, scope, "bob", "grade", target="t3")  # type: ignore[arg-type]
        assert racing.stale_reads == 0  # both stale reads were used: two collisions
    assert entry.seq == 3
    with store.connect() as conn:
        chain = list(entries(conn, scope))
        assert [(e.seq, e.actor) for e in chain] == [(1, "alice"), (2, "alice"), (3, "bob")]
        assert chain[2].prev_hash == chain[1].entry_hash
        assert verify(conn, scope) == []


def test_a_writer_that_keeps_losing_gives_up_with_a_clear_error(store: Store) -> None:
    scope = case_scope(1)
    _two_entries(store, scope)
    with store.begin() as conn:
        racing = _StaleHead(conn, stale_reads=99)
        expected = rf"could not append to case:1: {_APPEND_ATTEMPTS} other writers took the next"
        with pytest.raises(StoreError, match=expected):
            append(racing, scope, "bob", "grade")  # type: ignore[arg-type]
        assert racing.stale_reads == 99 - _APPEND_ATTEMPTS  # every attempt was made
    with store.connect() as conn:
        assert [e.seq for e in entries(conn, scope)] == [1, 2]


def test_target_and_detail_longer_than_a_screen_are_kept_whole(store: Store) -> None:
    # The audit is looked up by target and read by a court: never cut. (Actors
    # are user names, held to 200 characters by the column itself.)
    long = "x" * (MAX_CHARS + 50)
    with store.begin() as conn:
        append(conn, case_scope(1), "alice", "scan", target=long, detail={"path": long})
    with store.connect() as conn:
        (entry,) = entries(conn, case_scope(1))
        assert entry.target == long
        assert entry.detail == {"path": long}
        assert verify(conn, case_scope(1)) == []


def test_chain_order_comes_from_seq_not_from_where_rows_lie(store: Store) -> None:
    # An UPDATE moves a row to the end of the heap on PostgreSQL: entries() must
    # still walk the chain by seq (SQLite's index order alone would hide this).
    scope = case_scope(1)
    with store.begin() as conn:
        for i in range(4):
            append(conn, scope, "alice", "scan", target=f"t{i}")
    with store.begin() as conn:
        first = conn.execute(
            sa.select(audit_log.c.target).where(audit_log.c.scope == scope, audit_log.c.seq == 1)
        ).scalar_one()
        conn.execute(
            audit_log.update()
            .where(audit_log.c.scope == scope, audit_log.c.seq == 1)
            .values(target=first)
        )
    with store.begin() as conn:
        if conn.dialect.name == "postgresql":
            # Read the heap as it lies, as the planner may on a large table.
            for setting in ("enable_indexscan", "enable_bitmapscan", "enable_indexonlyscan"):
                conn.execute(sa.text(f"SET LOCAL {setting} = off"))
        assert [e.seq for e in entries(conn, scope)] == [1, 2, 3, 4]
