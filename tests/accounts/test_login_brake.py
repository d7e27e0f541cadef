"""The per-address login brake in the database: places, windows, release, sweeping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from vigil.accounts import brake
from vigil.accounts.brake import BrakePolicy
from vigil.store.engine import Store
from vigil.store.schema import login_brake

START = datetime(2026, 12, 3, 17, 0, tzinfo=UTC)


def _reserve(store: Store, client: str | None, policy: BrakePolicy, at: datetime) -> bool:
    with store.begin() as conn:
        return brake.reserve(conn, client, policy, at)


def test_the_brake_refuses_past_its_count_within_the_window(store: Store) -> None:
    policy = BrakePolicy(max_failures=2, window=timedelta(seconds=10))
    assert _reserve(store, "10.0.0.1", policy, START)
    assert _reserve(store, "10.0.0.1", policy, START + timedelta(seconds=5))
    assert not _reserve(store, "10.0.0.1", policy, START + timedelta(seconds=6))
    assert _reserve(store, "10.0.0.2", policy, START + timedelta(seconds=6))
    # The window ends: the address starts a new count.
    assert _reserve(store, "10.0.0.1", policy, START + timedelta(seconds=11))
    assert _reserve(store, "10.0.0.1", policy, START + timedelta(seconds=12))
    assert not _reserve(store, "10.0.0.1", policy, START + timedelta(seconds=13))


def test_a_successful_login_gives_its_place_back(store: Store) -> None:
    policy = BrakePolicy(max_failures=1)
    assert _reserve(store, None, policy, START)
    with store.begin() as conn:
        brake.release(conn, None)
        brake.release(conn, None)  # never below zero
    assert _reserve(store, None, policy, START)
    assert not _reserve(store, None, policy, START)


def test_rows_of_ended_windows_are_swept(store: Store) -> None:
    policy = BrakePolicy(max_failures=5, window=timedelta(minutes=1))
    for index in range(5):
        assert _reserve(store, f"10.0.0.{index}", policy, START)
    assert _reserve(store, "10.0.1.1", policy, START + timedelta(minutes=2))
    with store.connect() as conn:
        left = conn.execute(sa.select(login_brake.c.client)).scalars().all()
    assert left == ["10.0.1.1"]
