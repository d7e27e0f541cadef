"""Checking a name and password, with lockout and a per-address brake. Every try is audited.

A try first *reserves* its check, in one short transaction committed before the
password is looked at: a place in the brake of its client address (brake.py)
and one of the account's ``max_failures`` tries, taken by a single conditional
UPDATE. The try that takes the last one locks the account there and then, so
parallel tries (threads, or several app processes on one database) cannot get
more than the policy's count checked, and a try that arrives once the account
is locked is refused without its password being checked, right or wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, case, literal, not_, null, or_, select, update

from vigil.accounts import brake
from vigil.accounts.brake import BrakePolicy
from vigil.accounts.passwords import hash_password, needs_rehash, verify_password
from vigil.accounts.users import User
from vigil.audit import GLOBAL_SCOPE, append
from vigil.errors import VigilError
from vigil.store.engine import Store
from vigil.store.schema import user_account


class LoginRefused(VigilError):
    """Name or password wrong, account disabled or locked; the message never says which."""

    def __init__(self, reason: str, message: str | None = None) -> None:
        self.reason = reason  # for the audit log only
        super().__init__(
            message or "login failed: wrong name or password, or the account is locked"
        )


class LoginBraked(LoginRefused):
    """Too many failed logins from this client address lately; no password was checked."""

    def __init__(self) -> None:
        super().__init__(
            "too many failures from this address", "too many failed logins: wait a while"
        )


@dataclass(frozen=True, slots=True)
class LockoutPolicy:
    """How many wrong passwords in a row lock an account, and for how long."""

    max_failures: int = 5
    lock_for: timedelta = timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class _Reserved:
    """A try allowed to check its password against the account's hash."""

    user_id: int
    password_hash: str
    locked_it: bool
    """This try took the account's last place and locked it (lifted again if it succeeds)."""


def authenticate(
    store: Store,
    name: str,
    password: str,
    policy: LockoutPolicy,
    brake_policy: BrakePolicy | None = None,
    client: str | None = None,
    now: datetime | None = None,
) -> User:
    """The user when ``password`` is right and the account usable; else LoginRefused.

    Reserves the check first (see the module's docstring), then checks, then
    records the outcome; each step commits on its own, and the audit entry
    (``login``, ``login.failed``, ``login.throttled``, ``user.locked``) goes with
    it. ``brake_policy`` None leaves the per-address brake out (the CLI has no
    client address). Raises :class:`LoginBraked` when the brake refused the try.
    """
    now = now or datetime.now(UTC)
    with store.begin() as conn:
        if brake_policy is not None and not brake.reserve(conn, client, brake_policy, now):
            detail = {"reason": "too many failures from this address", "client": client}
            append(conn, GLOBAL_SCOPE, "anonymous", "login.throttled", _cut(name), detail)
            reserved: _Reserved | None = None
            refused: LoginRefused | None = LoginBraked()
        else:
            reserved = _reserve(conn, name, policy, now)
            refused = None if reserved is not None else _why_not(conn, name, client)
    if refused is not None:
        if not isinstance(refused, LoginBraked):
            verify_password(None, password)  # as long as a real check: existence is not told
        raise refused
    assert reserved is not None
    if not verify_password(reserved.password_hash, password):
        with store.begin() as conn:
            _audit_refusal(conn, name, "wrong password", client, known=True)
            if reserved.locked_it:
                until = now + policy.lock_for
                append(conn, GLOBAL_SCOPE, "system", "user.locked", name, {"until": str(until)})
        raise LoginRefused("wrong password")
    with store.begin() as conn:
        user = _succeed(conn, reserved, password, brake_policy is not None, client)
        if user is None:
            _audit_refusal(conn, name, "account disabled", client, known=True)
        else:
            append(conn, GLOBAL_SCOPE, name, "login", name, {"client": client})
    if user is None:
        raise LoginRefused("account disabled")
    return user


def _reserve(conn: Connection, name: str, policy: LockoutPolicy, now: datetime) -> _Reserved | None:
    """One of the account's tries, or None when there is none to take (unknown, disabled, locked).

    A single UPDATE checks and counts: the database serialises tries at the
    account's row, so the count cannot be overtaken. The try that reaches
    ``max_failures`` sets the lock and starts the next count at zero.
    """
    tries = user_account.c.failed_logins + 1
    reaches_limit = tries >= policy.max_failures
    until = literal(now + policy.lock_for, user_account.c.locked_until.type)
    row = conn.execute(
        update(user_account)
        .where(
            user_account.c.name == name,
            not_(user_account.c.disabled),
            or_(user_account.c.locked_until.is_(None), user_account.c.locked_until <= now),
        )
        .values(
            failed_logins=case((reaches_limit, 0), else_=tries),
            locked_until=case((reaches_limit, until), else_=null()),
        )
        .returning(user_account.c.id, user_account.c.password_hash, user_account.c.locked_until)
    ).first()
    if row is None:
        return None
    return _Reserved(int(row.id), str(row.password_hash), row.locked_until is not None)


def _why_not(conn: Connection, name: str, client: str | None) -> LoginRefused:
    """Audit a try that got no check, and the refusal to raise for it."""
    row = conn.execute(select(user_account.c.disabled).where(user_account.c.name == name)).first()
    if row is None:
        reason = "no such user"
    elif row.disabled:
        reason = "account disabled"
    else:
        reason = "account locked"
    _audit_refusal(conn, name, reason, client, known=row is not None)
    return LoginRefused(reason)


def _succeed(
    conn: Connection, reserved: _Reserved, password: str, braked: bool, client: str | None
) -> User | None:
    """Clear the failure count (and the lock this try set) and return the user.

    None when the account was disabled while the password was being checked. A
    lock set by another try stays: the tries that reserved after it are refused.
    """
    if braked:
        brake.release(conn, client)
    values: dict[str, object] = {"failed_logins": 0}
    if reserved.locked_it:
        values["locked_until"] = None
    if needs_rehash(reserved.password_hash):
        values["password_hash"] = hash_password(password)
    row = conn.execute(
        update(user_account)
        .where(user_account.c.id == reserved.user_id, not_(user_account.c.disabled))
        .values(**values)
        .returning(*user_account.c)
    ).first()
    return None if row is None else User.from_row(row)


def _audit_refusal(
    conn: Connection, name: str, reason: str, client: str | None, *, known: bool
) -> None:
    # A typed password in the name field must not land in the log: unknown names are cut.
    detail = {"reason": reason, "client": client}
    append(conn, GLOBAL_SCOPE, "anonymous", "login.failed", name if known else _cut(name), detail)


def _cut(name: str) -> str:
    return name[:3] + "…"
