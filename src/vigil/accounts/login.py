"""Checking a name and password, with lockout after repeated failures. Every try is audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, select, update

from vigil.accounts.passwords import hash_password, needs_rehash, verify_password
from vigil.accounts.users import User
from vigil.audit import GLOBAL_SCOPE, append
from vigil.errors import VigilError
from vigil.store.schema import user_account


class LoginRefused(VigilError):
    """Name or password wrong, account disabled or locked; the message never says which."""

    def __init__(self, reason: str) -> None:
        self.reason = reason  # for the audit log only
        super().__init__("login failed: wrong name or password, or the account is locked")


@dataclass(frozen=True, slots=True)
class LockoutPolicy:
    """How many wrong passwords in a row lock an account, and for how long."""

    max_failures: int = 5
    lock_for: timedelta = timedelta(minutes=15)


def authenticate(
    conn: Connection,
    name: str,
    password: str,
    policy: LockoutPolicy,
    client: str | None = None,
    now: datetime | None = None,
) -> User:
    """The user when ``password`` is right and the account usable; else LoginRefused.

    Runs inside the caller's transaction: failure counts and the audit entry
    (``login`` or ``login.failed``) are committed with it. Raising rolls back, so
    the caller records refusals with :func:`record_refusal` in its own transaction.
    """
    now = now or datetime.now(UTC)
    row = conn.execute(select(user_account).where(user_account.c.name == name)).first()
    ok = verify_password(None if row is None else row.password_hash, password)
    if row is None:
        raise LoginRefused("no such user")
    user = User.from_row(row)
    if user.disabled:
        raise LoginRefused("account disabled")
    if user.locked_until is not None and user.locked_until > now:
        raise LoginRefused("account locked")
    if not ok:
        raise LoginRefused("wrong password")
    values: dict[str, object] = {"failed_logins": 0, "locked_until": None}
    if needs_rehash(row.password_hash):
        values["password_hash"] = hash_password(password)
    conn.execute(update(user_account).where(user_account.c.id == user.id).values(**values))
    append(conn, GLOBAL_SCOPE, name, "login", name, {"client": client})
    return user


def record_refusal(
    conn: Connection,
    name: str,
    refusal: LoginRefused,
    policy: LockoutPolicy,
    client: str | None = None,
    now: datetime | None = None,
) -> bool:
    """Count a failed login against the account (locking it at the limit) and audit it.

    Returns True when this failure locked the account.
    """
    now = now or datetime.now(UTC)
    locked = False
    row = conn.execute(select(user_account).where(user_account.c.name == name)).first()
    if row is not None and refusal.reason == "wrong password":
        failures = int(row.failed_logins) + 1
        values: dict[str, object] = {"failed_logins": failures}
        if failures >= policy.max_failures:
            values.update(locked_until=now + policy.lock_for, failed_logins=0)
            locked = True
        conn.execute(update(user_account).where(user_account.c.id == row.id).values(**values))
    detail = {"reason": refusal.reason, "client": client}
    # A typed password in the name field must not land in the log: unknown names are cut.
    target = name if row is not None else name[:3] + "…"
    append(conn, GLOBAL_SCOPE, "anonymous", "login.failed", target, detail)
    if locked:
        append(
            conn,
            GLOBAL_SCOPE,
            "system",
            "user.locked",
            name,
            {"until": str(values["locked_until"])},
        )
    return locked
