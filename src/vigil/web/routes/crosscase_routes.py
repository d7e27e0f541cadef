"""Across cases in the review app: the store-wide link graph, trends, and the trends' k.

The case page's "linked cases" panel is filled by :func:`linked_panel`. Access:
a user sees the links of the cases they may open, including links to cases they
may not open (the case's name and who works on it, never its content); the graph
shows an examiner or reviewer only links that touch one of their cases.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import Connection
from starlette.responses import Response

from vigil.accounts.assignments import visible_case_ids
from vigil.accounts.users import User
from vigil.crosscase.first_seen import NEW_MATERIAL, new_material
from vigil.crosscase.links import case_links, case_owners, link_graph
from vigil.crosscase.privacy import effective_k, min_cases, raise_min_cases
from vigil.crosscase.svg import link_graph_svg, trend_bars
from vigil.crosscase.trends import PERIODS, trends
from vigil.errors import UsageError
from vigil.web.access import ADMIN, ANY_USER, route
from vigil.web.deps import render, store_of, user_of

router = APIRouter()

CHARTS = (
    ("cases", "Cases scanned"),
    ("media median", "Media items per case (median)"),
    ("new share", "Share of distinct media that is new material"),
)


def linked_panel(conn: Connection, user: User, case_id: int) -> dict[str, Any]:
    """What the case page's "linked cases" panel shows (the case itself is visible)."""
    visible = set(visible_case_ids(conn, user))
    return {
        "links": case_links(conn, case_id),
        "link_visible": visible,
        "new_material": len(new_material(conn, case_id)),
        "new_material_label": NEW_MATERIAL,
    }


@route(router, "GET", "/links", ANY_USER)
def links_page(request: Request) -> Response:
    """Cases as nodes and shared media as edges, drawn on the server."""
    user = user_of(request)
    with store_of(request).connect() as conn:
        names, edges = link_graph(conn)
        if user.role != "admin":
            mine = set(visible_case_ids(conn, user))
            edges = [e for e in edges if e.a in mine or e.b in mine]
            shown = {e.a for e in edges} | {e.b for e in edges}
            names = {i: n for i, n in names.items() if i in shown}
        owners = case_owners(conn, list(names))
    chart = link_graph_svg(names, edges, "Cases linked by shared media")
    rows = [{"a": names[e.a], "b": names[e.b], "strong": e.strong, "weak": e.weak} for e in edges]
    cases = [
        {"name": names[i], "owners": owners.get(i, ())}
        for i in sorted(names, key=lambda i: names[i])
    ]
    return render(request, "links.html", {"chart": chart, "rows": rows, "cases": cases})


@route(router, "GET", "/trends", ANY_USER)
def trends_page(
    request: Request,
    start: date | None = None,
    end: date | None = None,
    by: str = "month",
    k: int | None = None,
) -> Response:
    """Trends across cases, every figure of fewer than k cases suppressed."""
    if by not in PERIODS:
        raise HTTPException(400, f"by must be one of {', '.join(PERIODS)}")
    with store_of(request).connect() as conn:
        try:
            used = effective_k(conn, k)
            found = trends(conn, used, start, end, by)
        except UsageError as exc:
            raise HTTPException(400, str(exc)) from exc
        stored = min_cases(conn)
    charts = [trend_bars(found.periods, figure, title) for figure, title in CHARTS]
    context = {
        "trends": found,
        "columns": found.columns(),
        "rows": found.rows(),
        "charts": charts,
        "stored_k": stored,
        "periods": PERIODS,
    }
    return render(request, "trends.html", context)


@route(router, "POST", "/trends/min-cases", ADMIN)
def raise_k(request: Request, k: int = Form(..., ge=1, le=1_000_000)) -> Response:
    """Raise the store's k (never lower it)."""
    user = user_of(request)
    try:
        with store_of(request).begin() as conn:
            raise_min_cases(conn, k, user.name)
    except UsageError as exc:
        raise HTTPException(400, str(exc)) from exc
    return RedirectResponse("/trends", status_code=303)
