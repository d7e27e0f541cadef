"""Pages every user has: the case list, a case's numbers, hits and findings, its audit log."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import select
from starlette.responses import Response

from vigil.accounts.assignments import visible_case_ids
from vigil.audit import case_scope, entries, head, verify
from vigil.cases import tags_notes
from vigil.cases.counting import CategoryDetail, case_item_counts
from vigil.reports.gather import build_report
from vigil.store.schema import case
from vigil.web import grading, grouping
from vigil.web.access import ANY_USER, route
from vigil.web.blind import BlindView, unconfirmed_items
from vigil.web.deps import (
    pair_cache_of,
    render,
    settings_of,
    store_of,
    user_of,
    visible_case,
)
from vigil.web.routes.crosscase_routes import linked_panel

router = APIRouter()

MAX_ROWS = 500
"""Rows of hits and findings shown on a case page (the report has them all)."""


@route(router, "GET", "/", ANY_USER)
def home() -> Response:
    """Start at the case list."""
    return RedirectResponse("/cases", status_code=303)


@route(router, "GET", "/cases", ANY_USER)
def cases_page(request: Request) -> Response:
    """The cases this user may open, with their item, hit and queue counts."""
    user = user_of(request)
    with store_of(request).connect() as conn:
        ids = visible_case_ids(conn, user)
        rows = []
        for row in conn.execute(select(case).where(case.c.id.in_(ids)).order_by(case.c.name)):
            counts = case_item_counts(conn, int(row.id))
            rows.append({"case": row, "items": counts[0], "hits": counts[1], "unknown": counts[2]})
    return render(request, "cases.html", {"rows": rows})


@route(router, "GET", "/cases/{case_id}", ANY_USER)
def case_page(request: Request, case_id: int, rematched: int | None = None) -> Response:
    """The report's numbers for the case, its hits, grading queue and indicator findings."""
    user = user_of(request)
    settings = settings_of(request)
    with store_of(request).connect() as conn:
        row = visible_case(conn, user, case_id)
        view = BlindView(user, grading.actions(conn, case_id))
        # A second grader's counts and hits leave out first grades still awaiting theirs.
        leave_out = unconfirmed_items(user) if view.blind else None
        report = build_report(conn, row.name, user.name, leave_out=leave_out)
        queue = grouping.queue(conn, case_id, settings.pdq_threshold, pair_cache_of(request))
        disputed = sum(1 for a in view.actions if a.state == "disputed")
        linked = linked_panel(conn, user, case_id)
        case_notes = tags_notes.notes(conn, case_id)
    categories: list[tuple[str, CategoryDetail]] = [
        (label, report.summary.categories[label])
        for label in report.category_order
        if label in report.summary.categories
    ]
    context = {
        "case": row,
        "report": report,
        "categories": categories,
        "hits": report.hits[:MAX_ROWS],
        "unknown": report.unknown[:MAX_ROWS],
        "findings": report.findings[:MAX_ROWS],
        "max_rows": MAX_ROWS,
        "queue_groups": len(queue),
        "queue_items": sum(len(g.item_ids) for g in queue),
        "graded": view.graded_counts(),
        "awaiting_you": view.hidden_items(),
        "disputed": disputed,
        "rematched": rematched,
        "notes": case_notes,
        **linked,
    }
    return render(request, "case.html", context)


@route(router, "GET", "/cases/{case_id}/audit", ANY_USER)
def audit_page(request: Request, case_id: int) -> Response:
    """The case's audit chain, newest first, with the result of verifying it."""
    user = user_of(request)
    with store_of(request).connect() as conn:
        row = visible_case(conn, user, case_id)
        scope = case_scope(case_id)
        chain = list(entries(conn, scope))
        problems = verify(conn, scope)
        seq, digest = head(conn, scope)
        shown = BlindView(user, grading.actions(conn, case_id)).audit_entries(chain)
    context = {
        "case": row,
        "entries": list(reversed(shown)),
        "problems": problems,
        "head_seq": seq,
        "head": digest,
    }
    return render(request, "audit.html", context)
