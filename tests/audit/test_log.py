"""The audit chain: appends link up, and edits, inserts and deletes are named."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from vigil.audit import GLOBAL_SCOPE, append, case_scope, entries, head, verify
from vigil.audit.log import GENESIS, entry_digest
from vigil.store.engine import Store
from vigil.store.schema import audit_log


def _fill(store: Store, scope: str, n: int) -> None:
    with store.begin() as conn:
        for i in range(n):
            append(conn, scope, "alice", "scan", target=f"t{i}", detail={"n": i, "ü": "ß"})


def test_appends_form_an_intact_chain(store: Store) -> None:
    _fill(store, case_scope(1), 4)
    _fill(store, GLOBAL_SCOPE, 2)
    with store.connect() as conn:
        chain = list(entries(conn, case_scope(1)))
        assert [e.seq for e in chain] == [1, 2, 3, 4]
        assert all(e.at.tzinfo is UTC for e in chain)  # aware on every backend
        assert all(b.prev_hash == a.entry_hash for a, b in itertools.pairwise(chain))
        assert verify(conn, case_scope(1)) == []
        assert verify(conn, GLOBAL_SCOPE) == []
        assert head(conn, case_scope(1)) == (4, chain[-1].entry_hash)
        assert verify(conn, case_scope(1), expected_head=chain[-1].entry_hash) == []


def test_edited_entry_is_named(store: Store) -> None:
    _fill(store, case_scope(1), 5)
    with store.begin() as conn:
        conn.execute(
            audit_log.update()
            .where(audit_log.c.scope == case_scope(1), audit_log.c.seq == 3)
            .values(actor="mallory")
        )
    with store.connect() as conn:
        problems = verify(conn, case_scope(1))
    assert [(p.seq, p.kind) for p in problems] == [(3, "edited")]
    assert problems[0].message == "entry 3 was changed after it was written"


def test_deleted_entry_is_named(store: Store) -> None:
    _fill(store, case_scope(1), 5)
    with store.begin() as conn:
        conn.execute(
            audit_log.delete().where(audit_log.c.scope == case_scope(1), audit_log.c.seq == 2)
        )
    with store.connect() as conn:
        problems = verify(conn, case_scope(1))
    assert [(p.seq, p.kind) for p in problems] == [(3, "deleted")]
    assert problems[0].message == "entry 2 missing before entry 3"


def test_a_deleted_run_of_entries_is_named_as_a_range(store: Store) -> None:
    _fill(store, case_scope(1), 6)
    with store.begin() as conn:
        conn.execute(
            audit_log.delete().where(
                audit_log.c.scope == case_scope(1), audit_log.c.seq.in_([2, 3, 4])
            )
        )
    with store.connect() as conn:
        problems = verify(conn, case_scope(1))
    assert [(p.seq, p.kind, p.message) for p in problems] == [
        (5, "deleted", "entry 2–4 missing before entry 5")
    ]


def test_inserted_entry_is_named(store: Store) -> None:
    _fill(store, case_scope(1), 3)
    with store.begin() as conn:
        # A forger renumbers 3 → 4 and writes a well-formed entry 3 of their own.
        conn.execute(
            audit_log.update()
            .where(audit_log.c.scope == case_scope(1), audit_log.c.seq == 3)
            .values(seq=4)
        )
        at = datetime(2026, 1, 1, tzinfo=UTC)
        prev = conn.execute(
            sa.select(audit_log.c.entry_hash).where(
                audit_log.c.scope == case_scope(1), audit_log.c.seq == 2
            )
        ).scalar_one()
        digest = entry_digest(case_scope(1), 3, at, "mallory", "grade", None, None, prev)
        conn.execute(
            audit_log.insert().values(
                scope=case_scope(1),
                seq=3,
                at=at,
                actor="mallory",
                action="grade",
                prev_hash=prev,
                entry_hash=digest,
            )
        )
    with store.connect() as conn:
        problems = verify(conn, case_scope(1))
    # The moved original no longer hashes to itself: the forgery is pinned at 3–4.
    assert [(p.seq, p.kind) for p in problems] == [(4, "edited")]


def test_truncation_is_caught_only_against_a_recorded_head(store: Store) -> None:
    _fill(store, case_scope(1), 4)
    with store.connect() as conn:
        _, recorded = head(conn, case_scope(1))
    with store.begin() as conn:
        conn.execute(
            audit_log.delete().where(audit_log.c.scope == case_scope(1), audit_log.c.seq == 4)
        )
    with store.connect() as conn:
        assert verify(conn, case_scope(1)) == []
        problems = verify(conn, case_scope(1), expected_head=recorded)
    assert [(p.seq, p.kind) for p in problems] == [(4, "truncated")]
    assert problems[0].message == (
        f"the recorded head {recorded[:16]}… is not in the chain: "
        "entries were removed from its end or it was rewritten"
    )


def test_scopes_are_separate_chains(store: Store) -> None:
    _fill(store, case_scope(1), 2)
    _fill(store, case_scope(2), 2)
    with store.connect() as conn:
        assert [e.seq for e in entries(conn, case_scope(2))] == [1, 2]


def test_entry_digest_known_answer() -> None:
    """Pinned: key names, key order, separators and the time format are part of every old chain.

    Change any of them and chains written before would verify as edited.
    """
    digest = entry_digest(
        "case:7",
        3,
        datetime(2026, 5, 1, 12, 30, 15, 123456, tzinfo=UTC),
        "dc.smith",
        "grade",
        "item 42",
        {"category": "A", "md5s": ["ab"], "n": 2},
        GENESIS,
    )
    assert digest == "b372ad85541b17cba9b30a10b3634d607e41e4217785b619f496294a2884e7c7"


@pytest.mark.usefixtures("host_13_hours_east")
def test_digest_times_are_utc_whatever_the_host() -> None:
    """A naive time is UTC (SQLite returns naive values); an aware one counts as its UTC instant."""

    def digest(at: datetime) -> str:
        return entry_digest("global", 1, at, "a", "b", None, None, GENESIS)

    plus_one = timezone(timedelta(hours=1))
    utc_noon = digest(datetime(2026, 5, 1, 12, 0, tzinfo=UTC))
    assert digest(datetime(2026, 5, 1, 12, 0)) == utc_noon
    assert digest(datetime(2026, 5, 1, 13, 0, tzinfo=plus_one)) == utc_noon
    assert digest(datetime(2026, 5, 1, 12, 0, tzinfo=plus_one)) != utc_noon


def test_a_replaced_entry_is_named_where_the_chain_breaks(store: Store) -> None:
    """A forger rewrites entry 2 as a well-formed entry: entry 3 no longer follows it."""
    _fill(store, case_scope(1), 4)
    with store.begin() as conn:
        prev = conn.execute(
            sa.select(audit_log.c.entry_hash).where(
                audit_log.c.scope == case_scope(1), audit_log.c.seq == 1
            )
        ).scalar_one()
        at = datetime(2026, 1, 1, tzinfo=UTC)
        forged = entry_digest(case_scope(1), 2, at, "mallory", "grade", None, None, prev)
        conn.execute(
            audit_log.update()
            .where(audit_log.c.scope == case_scope(1), audit_log.c.seq == 2)
            .values(at=at, actor="mallory", action="grade", target=None, detail=None,
                    entry_hash=forged)
        )  # fmt: skip
    with store.connect() as conn:
        problems = verify(conn, case_scope(1))
    assert [(p.seq, p.kind) for p in problems] == [(3, "inserted")]
    assert problems[0].message == (
        "entry 3 does not follow entry 2: an entry was inserted or replaced before it"
    )


def test_an_empty_chain(store: Store) -> None:
    with store.connect() as conn:
        assert head(conn, case_scope(9)) == (0, GENESIS)
        assert list(entries(conn, case_scope(9))) == []
        assert verify(conn, case_scope(9)) == []
        assert verify(conn, case_scope(9), expected_head=GENESIS) == []
        (problem,) = verify(conn, case_scope(9), expected_head="f" * 64)
    assert (problem.seq, problem.kind) == (1, "truncated")


def test_append_returns_the_entry_exactly_as_it_is_read_back(store: Store) -> None:
    """The detail is stored as JSON (tuples become lists), text from evidence stored inert."""
    with store.begin() as conn:
        first = append(conn, case_scope(1), "alice", "scan")
        made = append(
            conn,
            case_scope(1),
            "bob\x1b[2J",
            "grade",
            target="dir/\x00evil.jpg",
            detail={"ids": (1, 2), "name": "a\x07b"},
            at=datetime(2026, 5, 1, 12, 0),  # naive: UTC
        )
    with store.connect() as conn:
        assert list(entries(conn, case_scope(1))) == [first, made]
        assert verify(conn, case_scope(1)) == []
    assert first.target is None and first.detail is None
    assert made.at == datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    assert made.detail is not None and made.detail["ids"] == [1, 2]
    assert made.actor.isprintable() and made.target is not None and made.target.isprintable()
    assert made.seq == 2 and made.prev_hash == first.entry_hash and made.id > first.id


@pytest.mark.usefixtures("host_13_hours_east")
def test_an_entry_without_a_time_is_stamped_now_in_utc(store: Store) -> None:
    before = datetime.now(UTC)
    with store.begin() as conn:
        entry = append(conn, case_scope(1), "alice", "scan")
    assert before <= entry.at <= datetime.now(UTC)  # not local wall time taken as UTC
