"""Which cases an examiner or reviewer may open. Admins see every case; others only theirs."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Connection, delete, insert, select

from vigil.accounts.users import User, get_user
from vigil.audit import GLOBAL_SCOPE, append, case_scope
from vigil.cases.case import get_case
from vigil.errors import UsageError
from vigil.store.engine import Store
from vigil.store.schema import case, case_assignment


def assign(store: Store, user_name: str, case_name: str, actor: str) -> bool:
    """Let the user work on the case; False when they already could."""
    with store.begin() as conn:
        user = get_user(conn, user_name)
        case_row = get_case(conn, case_name)
        if user.role == "admin":
            raise UsageError(f"{user_name} is an admin and sees every case already")
        if _assigned(conn, user.id, case_row.id):
            return False
        conn.execute(
            insert(case_assignment).values(
                case_id=case_row.id,
                user_id=user.id,
                assigned_at=datetime.now(UTC),
                assigned_by=actor,
            )
        )
        detail = {"case": case_name, "role": user.role}
        append(conn, GLOBAL_SCOPE, actor, "case.assign", user_name, detail)
        append(conn, case_scope(case_row.id), actor, "case.assign", user_name, detail)
    return True


def unassign(store: Store, user_name: str, case_name: str, actor: str) -> bool:
    """Take the case away from the user; False when they were not assigned."""
    with store.begin() as conn:
        user = get_user(conn, user_name)
        case_row = get_case(conn, case_name)
        gone = conn.execute(
            delete(case_assignment).where(
                case_assignment.c.user_id == user.id, case_assignment.c.case_id == case_row.id
            )
        ).rowcount
        if not gone:
            return False
        detail = {"case": case_name}
        append(conn, GLOBAL_SCOPE, actor, "case.unassign", user_name, detail)
        append(conn, case_scope(case_row.id), actor, "case.unassign", user_name, detail)
    return True


def visible_case_ids(conn: Connection, user: User) -> list[int]:
    """The ids of the cases ``user`` may open, in id order."""
    if user.role == "admin":
        return [int(i) for i in conn.execute(select(case.c.id).order_by(case.c.id)).scalars()]
    query = (
        select(case_assignment.c.case_id)
        .where(case_assignment.c.user_id == user.id)
        .order_by(case_assignment.c.case_id)
    )
    return [int(i) for i in conn.execute(query).scalars()]


def can_see_case(conn: Connection, user: User, case_id: int) -> bool:
    """True when ``user`` may open case ``case_id``."""
    return user.role == "admin" or _assigned(conn, user.id, case_id)


def assignments(conn: Connection) -> list[tuple[str, str]]:
    """Every (case name, user name) pair, for the admin page and ``user list``."""
    from vigil.store.schema import user_account

    rows = conn.execute(
        select(case.c.name, user_account.c.name)
        .join(case_assignment, case_assignment.c.case_id == case.c.id)
        .join(user_account, user_account.c.id == case_assignment.c.user_id)
        .order_by(case.c.name, user_account.c.name)
    )
    return [(str(c), str(u)) for c, u in rows]


def _assigned(conn: Connection, user_id: int, case_id: int) -> bool:
    row = conn.execute(
        select(case_assignment.c.id).where(
            case_assignment.c.user_id == user_id, case_assignment.c.case_id == case_id
        )
    ).first()
    return row is not None
