"""User accounts: add, list, disable, change password. Every change is audited (global chain)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Row, delete, insert, select, update

from vigil.accounts.passwords import hash_password
from vigil.audit import GLOBAL_SCOPE, append
from vigil.errors import NotFoundError, UsageError
from vigil.store.engine import Store, inserted_id
from vigil.store.schema import user_account, web_session

ROLES = ("examiner", "reviewer", "admin")
"""examiner grades assigned cases; reviewer second-grades them; admin manages users and cases."""

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")


@dataclass(frozen=True, slots=True)
class User:
    """An account as the app and the CLI see it (never the password hash)."""

    id: int
    name: str
    role: str
    disabled: bool
    failed_logins: int
    locked_until: datetime | None
    created_at: datetime

    @classmethod
    def from_row(cls, row: Row[Any]) -> User:
        """Build from a ``user_account`` row."""
        return cls(
            id=int(row.id),
            name=row.name,
            role=row.role,
            disabled=bool(row.disabled),
            failed_logins=int(row.failed_logins),
            locked_until=_utc(row.locked_until),
            created_at=_utc(row.created_at) or datetime.now(UTC),
        )


def check_role(role: str) -> str:
    """``role`` when it is one of :data:`ROLES`, else UsageError naming them."""
    if role not in ROLES:
        raise UsageError(f"unknown role {role!r} (roles: {', '.join(ROLES)})")
    return role


def add_user(store: Store, name: str, role: str, password: str, actor: str) -> User:
    """Create an account; the name must be new and the password meet the policy."""
    if not _NAME.match(name):
        raise UsageError(
            f"bad user name {name!r}: 1-64 letters, digits, '.', '_', '@' or '-', "
            "starting with a letter or digit"
        )
    check_role(role)
    hashed = hash_password(password)
    now = datetime.now(UTC)
    with store.begin() as conn:
        if conn.execute(select(user_account.c.id).where(user_account.c.name == name)).first():
            raise UsageError(f"a user named {name!r} already exists")
        user_id = inserted_id(
            conn.execute(
                insert(user_account).values(
                    name=name,
                    role=role,
                    password_hash=hashed,
                    disabled=False,
                    failed_logins=0,
                    created_at=now,
                    created_by=actor,
                    password_changed_at=now,
                )
            )
        )
        append(conn, GLOBAL_SCOPE, actor, "user.add", name, {"role": role})
        return User.from_row(_row_by_id(conn, user_id))


def get_user(conn: Connection, name: str) -> User:
    """The named account; NotFoundError when there is none."""
    row = conn.execute(select(user_account).where(user_account.c.name == name)).first()
    if row is None:
        raise NotFoundError(f"no user named {name!r}")
    return User.from_row(row)


def user_by_id(conn: Connection, user_id: int) -> User | None:
    """The account with this id, or None."""
    row = conn.execute(select(user_account).where(user_account.c.id == user_id)).first()
    return None if row is None else User.from_row(row)


def list_users(store: Store) -> list[User]:
    """Every account, by name."""
    with store.connect() as conn:
        rows = conn.execute(select(user_account).order_by(user_account.c.name)).all()
    return [User.from_row(r) for r in rows]


def set_disabled(store: Store, name: str, disabled: bool, actor: str) -> User:
    """Disable (ending its sessions) or re-enable an account."""
    with store.begin() as conn:
        user = get_user(conn, name)
        values: dict[str, Any] = {"disabled": disabled}
        if not disabled:
            values.update(failed_logins=0, locked_until=None)
        conn.execute(update(user_account).where(user_account.c.id == user.id).values(**values))
        if disabled:
            conn.execute(delete(web_session).where(web_session.c.user_id == user.id))
        append(conn, GLOBAL_SCOPE, actor, "user.disable" if disabled else "user.enable", name)
        return User.from_row(_row_by_id(conn, user.id))


def set_password(store: Store, name: str, password: str, actor: str) -> None:
    """Replace a password, clear any lockout and end every session of the account."""
    hashed = hash_password(password)
    with store.begin() as conn:
        user = get_user(conn, name)
        conn.execute(
            update(user_account)
            .where(user_account.c.id == user.id)
            .values(
                password_hash=hashed,
                password_changed_at=datetime.now(UTC),
                failed_logins=0,
                locked_until=None,
            )
        )
        conn.execute(delete(web_session).where(web_session.c.user_id == user.id))
        append(conn, GLOBAL_SCOPE, actor, "user.passwd", name)


def _row_by_id(conn: Connection, user_id: int) -> Row[Any]:
    return conn.execute(select(user_account).where(user_account.c.id == user_id)).one()


def _utc(value: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; they were stored as UTC.
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
