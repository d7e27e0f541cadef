"""Cases in the store: looked up by name, created on first scan (audited)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Row, insert, select

from vigil.audit import append, case_scope
from vigil.store.engine import inserted_id, row_by_name
from vigil.store.schema import case


def get_case(conn: Connection, name: str) -> Row[Any]:
    """The case row; NotFoundError lists the known cases."""
    return row_by_name(conn, case, name, "case", "none yet")


def get_or_create_case(conn: Connection, name: str, scheme: str, user: str) -> int:
    """The id of the named case, creating it when new."""
    row = conn.execute(select(case.c.id).where(case.c.name == name)).first()
    if row is not None:
        return int(row.id)
    case_id = inserted_id(
        conn.execute(
            insert(case).values(
                name=name, scheme=scheme, created_at=datetime.now(UTC), created_by=user
            )
        )
    )
    append(conn, case_scope(case_id), user, "case.create", target=name, detail={"scheme": scheme})
    return case_id
