"""The brake on password guessing from one client address, kept in the database.

Account lockout (login.py) stops guessing at one account; it does not stop one
password tried against every account. The brake counts, per client address, the
logins that failed or are being checked within a fixed window, and refuses
further tries at the limit.

A try takes its place with one conditional upsert *before* its password is
checked, so parallel requests, from one app process or several, cannot get more
than the limit checked; a login that succeeds gives its place back. A fixed
window (not a sliding one) is what a single-row update can keep exactly; at a
window's end an address may at worst get two windows' worth in a short time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, case, delete, literal, or_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from vigil.store.schema import login_brake

UNKNOWN_CLIENT = "?"
"""The key for requests whose peer address is unknown (e.g. a Unix socket): they share one."""


@dataclass(frozen=True, slots=True)
class BrakePolicy:
    """At most ``max_failures`` failed logins per client address within ``window``."""

    max_failures: int = 20
    window: timedelta = timedelta(minutes=15)


def client_key(client: str | None) -> str:
    """The row key of ``client`` (its address, cut to the column's width)."""
    return (client or UNKNOWN_CLIENT)[:200]


def reserve(conn: Connection, client: str | None, policy: BrakePolicy, now: datetime) -> bool:
    """Take a place for one login try from ``client``; False when the brake is on.

    One statement does the check and the count, so two tries cannot both take
    the last place. Rows of addresses whose window has ended are swept first.
    """
    key = client_key(client)
    cutoff = now - policy.window
    conn.execute(
        delete(login_brake).where(login_brake.c.window_start <= cutoff, login_brake.c.client != key)
    )
    insert = sqlite_insert if conn.dialect.name == "sqlite" else pg_insert
    expired = login_brake.c.window_start <= cutoff
    statement = (
        insert(login_brake)
        .values(client=key, window_start=now, failures=1)
        .on_conflict_do_update(
            index_elements=[login_brake.c.client],
            set_={
                "failures": case((expired, 1), else_=login_brake.c.failures + 1),
                "window_start": case(
                    (expired, literal(now, login_brake.c.window_start.type)),
                    else_=login_brake.c.window_start,
                ),
            },
            where=or_(expired, login_brake.c.failures < policy.max_failures),
        )
        .returning(login_brake.c.failures)
    )
    return conn.execute(statement).first() is not None


def release(conn: Connection, client: str | None) -> None:
    """Give back the place of a try from ``client`` that logged in (it was no failure)."""
    conn.execute(
        update(login_brake)
        .where(login_brake.c.client == client_key(client), login_brake.c.failures > 0)
        .values(failures=login_brake.c.failures - 1)
    )
