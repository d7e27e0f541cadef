"""What route handlers share: the store, the session's user, case visibility, templates."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from fastapi import HTTPException, Request
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from sqlalchemy import BigInteger, Column, Connection, Row, select
from starlette.responses import Response

from vigil.accounts.assignments import can_see_case
from vigil.accounts.users import User
from vigil.store.engine import Store
from vigil.store.schema import case, item
from vigil.web import exposure, labels
from vigil.web.grouping import PairCache
from vigil.web.sessions import Session
from vigil.web.settings import WebSettings

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).with_name("templates")))
TEMPLATES.env.globals.update(
    label=labels.label,
    action_label=labels.action_label,
    detail_summary=labels.detail_summary,
)

_ID_COLUMNS: dict[str, Column[Any]] = {"case_id": case.c.id, "item_id": item.c.id}
"""The key each id path parameter names; its type bounds the ids a row can have."""

_DIGITS = re.compile(r"[0-9]{1,19}")


def largest_id(param: str) -> int:
    """The largest value a row's key can take for path parameter ``param``.

    BIGINT keys are signed 64-bit; INTEGER keys are 32-bit on PostgreSQL (SQLite
    would take more, but the two databases answer alike). An unknown name gets
    the smaller bound.
    """
    column = _ID_COLUMNS.get(param)
    return 2**63 - 1 if column is not None and isinstance(column.type, BigInteger) else 2**31 - 1


def store_of(request: Request) -> Store:
    """The app's store."""
    store: Store = request.app.state.store
    return store


def settings_of(request: Request) -> WebSettings:
    """The app's settings."""
    settings: WebSettings = request.app.state.settings
    return settings


def pair_cache_of(request: Request) -> PairCache:
    """The app's cache of near-duplicate pairs per case (grouping.py)."""
    cache: PairCache = request.app.state.pair_cache
    return cache


def session_of(request: Request) -> Session:
    """The live session (the guard has already refused requests without one)."""
    session: Session | None = getattr(request.state, "session", None)
    if session is None:
        raise HTTPException(401, "log in first")
    return session


def user_of(request: Request) -> User:
    """The logged-in user."""
    return session_of(request).user


def visible_case(conn: Connection, user: User, case_id: int) -> Row[Any]:
    """The case row when ``user`` may open it; 404 otherwise (existence is not disclosed)."""
    row = conn.execute(select(case).where(case.c.id == case_id)).first()
    if row is None or not can_see_case(conn, user, case_id):
        raise HTTPException(404, "no such case")
    return row


async def ids_in_range(request: Request) -> None:
    """App-wide dependency: an integer path parameter that no row can have answers 404.

    Without it a number beyond the key's width reaches the database, which fails
    (a 500 or 400) instead of finding nothing. Signs, spaces and non-ASCII digits are
    refused the same way: ids are written in plain digits.
    """
    matched = request.scope.get("route")
    if not isinstance(matched, APIRoute):
        return
    for param in matched.dependant.path_params:
        if param.field_info.annotation is not int:
            continue
        raw = str(request.path_params.get(param.name, ""))
        if not _DIGITS.fullmatch(raw) or not 0 < int(raw) <= largest_id(param.name):
            raise HTTPException(404, f"no such {param.name.removesuffix('_id')}")


def render(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
    """A page: the template with the user, CSRF token and today's exposure filled in."""
    session: Session | None = getattr(request.state, "session", None)
    settings = settings_of(request)
    base: dict[str, Any] = {"user": None, "csrf": "", "exposure": None, "settings": settings}
    if session is not None:
        with store_of(request).connect() as conn:
            counts = exposure.today(conn, session.user.id)
        base.update(user=session.user, csrf=session.csrf, exposure=counts)
    base.update(context)
    return TEMPLATES.TemplateResponse(request, name, base, status_code=status)
