"""Web sessions: random tokens in a cookie, only their SHA-256 in the database.

A session ends when idle for ``session_idle``, at ``session_max`` after login,
at logout, or when its user is disabled or changes password. A new token is
issued at every login (no session fixation); the CSRF token of a session is an
HMAC of its token, so it needs no storage and changes with it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, delete, insert, select, update

from vigil.accounts.users import User, user_by_id
from vigil.store.schema import web_session
from vigil.web.settings import WebSettings

COOKIE = "vigil_session"
TOUCH_EVERY = timedelta(seconds=30)
"""last_seen_at is written at most this often (one write per click is needless load)."""


@dataclass(frozen=True, slots=True)
class Session:
    """A live session: its user, raw token (from the cookie) and CSRF token."""

    id: int
    user: User
    token: str
    csrf: str


def token_hash(token: str) -> str:
    """What is stored for a token: its SHA-256, hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_for(token: str) -> str:
    """The CSRF token bound to a session token."""
    return hmac.new(token.encode(), b"vigil-csrf", hashlib.sha256).hexdigest()


def create(conn: Connection, user: User, settings: WebSettings, client: str | None) -> str:
    """Start a session for ``user``; returns the raw token for the cookie."""
    token = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    # Sessions nobody came back to would otherwise stay forever: sweep them at each login.
    conn.execute(
        delete(web_session).where(
            (web_session.c.expires_at < now)
            | (web_session.c.last_seen_at < now - settings.session_idle)
        )
    )
    conn.execute(
        insert(web_session).values(
            token_hash=token_hash(token),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + settings.session_max,
            client=(client or "")[:200] or None,
        )
    )
    return token


def lookup(
    conn: Connection, token: str | None, settings: WebSettings, now: datetime | None = None
) -> Session | None:
    """The live session of ``token``, or None (expired and idle ones are deleted)."""
    if not token or len(token) > 200:
        return None
    now = now or datetime.now(UTC)
    row = conn.execute(
        select(web_session).where(web_session.c.token_hash == token_hash(token))
    ).first()
    if row is None:
        return None
    last_seen, expires = _utc(row.last_seen_at), _utc(row.expires_at)
    user = user_by_id(conn, int(row.user_id))
    if user is None or user.disabled or now >= expires or now - last_seen >= settings.session_idle:
        conn.execute(delete(web_session).where(web_session.c.id == row.id))
        return None
    if now - last_seen >= TOUCH_EVERY:
        conn.execute(update(web_session).where(web_session.c.id == row.id).values(last_seen_at=now))
    return Session(int(row.id), user, token, csrf_for(token))


def destroy(conn: Connection, token: str | None) -> None:
    """End the session of ``token`` (nothing when there is none)."""
    if token:
        conn.execute(delete(web_session).where(web_session.c.token_hash == token_hash(token)))


def tokens_match(expected: str, given: str | None) -> bool:
    """Constant-time comparison of a CSRF token."""
    return given is not None and hmac.compare_digest(expected.encode(), given.encode())


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
