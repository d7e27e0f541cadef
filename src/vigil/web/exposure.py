"""How many pictures each officer was shown today (and how many revealed), for welfare.

Counts are per user per UTC day. The break reminder is due each time the day's
thumbnail count passes a multiple of ``break_every``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError

from vigil.store.schema import exposure


@dataclass(frozen=True, slots=True)
class Exposure:
    """One officer's counts for one day."""

    day: str
    thumbnails: int = 0
    reveals: int = 0

    def break_due(self, break_every: int) -> bool:
        """True right when the thumbnail count reaches a multiple of ``break_every``."""
        return break_every > 0 and self.thumbnails > 0 and self.thumbnails % break_every == 0


def day_of(when: datetime | None = None) -> str:
    """The UTC day, YYYY-MM-DD."""
    return (when or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%d")


def count(conn: Connection, user_id: int, *, thumbnails: int = 0, reveals: int = 0) -> Exposure:
    """Add to today's counts of ``user_id`` and return them."""
    day = day_of()
    where = (exposure.c.user_id == user_id, exposure.c.day == day)
    changes = {
        "thumbnails": exposure.c.thumbnails + thumbnails,
        "reveals": exposure.c.reveals + reveals,
    }
    if not conn.execute(update(exposure).where(*where).values(**changes)).rowcount:
        try:
            with conn.begin_nested():
                conn.execute(
                    insert(exposure).values(
                        user_id=user_id, day=day, thumbnails=thumbnails, reveals=reveals
                    )
                )
        except IntegrityError:  # another request made today's row first
            conn.execute(update(exposure).where(*where).values(**changes))
    return today(conn, user_id)


def today(conn: Connection, user_id: int) -> Exposure:
    """Today's counts of ``user_id``."""
    return history(conn, user_id, days=1)[0]


def history(conn: Connection, user_id: int, days: int = 14) -> list[Exposure]:
    """The last ``days`` days, newest first, zero-filled."""
    now = datetime.now(UTC)
    wanted = [day_of(now - timedelta(days=i)) for i in range(days)]
    rows = conn.execute(
        select(exposure.c.day, exposure.c.thumbnails, exposure.c.reveals).where(
            exposure.c.user_id == user_id, exposure.c.day.in_(wanted)
        )
    )
    found = {r.day: Exposure(r.day, int(r.thumbnails), int(r.reveals)) for r in rows}
    return [found.get(day, Exposure(day)) for day in wanted]
