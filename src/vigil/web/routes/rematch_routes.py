"""Re-matching a case against today's library from the web: the difference first, then apply.

The GET page works the new revision out and shows what would change (nothing
is kept); its form posts the preview's fingerprint, so that the POST applies
exactly what was shown or, when the library or the case changed in between,
applies nothing and shows the new difference instead.
"""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from vigil.cases import rematch
from vigil.errors import UsageError
from vigil.web.access import route
from vigil.web.deps import render, store_of, user_of, visible_case

router = APIRouter()

CASE_KEEPERS: frozenset[str] = frozenset({"examiner", "admin"})
"""Who may make a new revision of a case's results (reviewers only grade)."""


def _preview_page(
    request: Request, case_id: int, error: str | None = None, status: int = 200
) -> Response:
    user = user_of(request)
    store = store_of(request)
    with store.connect() as conn:
        row = visible_case(conn, user, case_id)
    try:
        planned = rematch.preview(store, row.name, user.name)
    except UsageError as exc:
        return render(request, "rematch.html", {"case": row, "planned": None, "error": str(exc)})
    context = {"case": row, "planned": planned, "error": error}
    return render(request, "rematch.html", context, status=status)


@route(router, "GET", "/cases/{case_id}/rematch", CASE_KEEPERS)
def rematch_page(request: Request, case_id: int) -> Response:
    """What re-matching the case against today's library would change; nothing is applied."""
    return _preview_page(request, case_id)


@route(router, "POST", "/cases/{case_id}/rematch", CASE_KEEPERS)
def rematch_apply(
    request: Request, case_id: int, fingerprint: str = Form("", max_length=64)
) -> Response:
    """Apply the re-match that was shown (as the next revision), then back to the case.

    The fingerprint is optional to the form parser so that a case the user may
    not see answers 404 before anything else; without one nothing is applied.
    """
    user = user_of(request)
    store = store_of(request)
    with store.connect() as conn:
        row = visible_case(conn, user, case_id)
    if not fingerprint:
        return _preview_page(request, case_id, error="look at the difference first", status=409)
    try:
        done = rematch.apply(store, row.name, user.name, expect=fingerprint)
    except UsageError as exc:
        return _preview_page(request, case_id, error=str(exc), status=409)
    return RedirectResponse(f"/cases/{case_id}?rematched={done.revision}", status_code=303)
