"""The case explorer page: every item, filtered and sorted on the server, and its CSV export.

Nothing here shows a picture. The export is audited with the filter used and
the number of rows, and its cells are CSV-safe (a cell from evidence cannot
become a spreadsheet formula).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import replace
from datetime import date
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from vigil.audit import append, case_scope
from vigil.cases import tags_notes
from vigil.cases.explorer import (
    LOCATIONS,
    PAGE_SIZES,
    REVIEW_STATES,
    SORTS,
    Explorer,
    ExplorerRow,
    ItemFilter,
)
from vigil.csv_safety import safe_cell
from vigil.errors import UsageError
from vigil.web import grading
from vigil.web.access import ANY_USER, route
from vigil.web.blind import BlindView, unconfirmed_items
from vigil.web.deps import render, store_of, user_of, visible_case

router = APIRouter()

FIELDS = (
    "text", "hash", "exhibit", "location", "status", "family", "review", "category", "camera",
    "tag", "modified_from", "modified_to", "sort", "order", "page", "per_page",
)  # fmt: skip
"""Query parameters of the page (and hidden fields of the export form)."""

CSV_COLUMNS = (
    "exhibit", "path", "name", "location", "family", "file_type", "size_bytes", "modified_utc",
    "exif_taken", "camera", "status", "reason", "review", "category", "tags", "md5",
)  # fmt: skip


def _filter(values: dict[str, str]) -> ItemFilter:
    """The filter from the page's fields; a malformed field is a UsageError naming it."""

    def day(name: str) -> date | None:
        raw = values.get(name, "").strip()
        if not raw:
            return None
        try:
            return date.fromisoformat(raw)
        except ValueError:
            raise UsageError(f"{name.replace('_', ' ')}: a date as YYYY-MM-DD") from None

    def number(name: str, default: int | None) -> int | None:
        raw = values.get(name, "").strip()
        if not raw:
            return default
        if not raw.isdigit():
            raise UsageError(f"{name.replace('_', ' ')}: a whole number")
        return int(raw)

    return ItemFilter(
        text=values.get("text", ""),
        digest=values.get("hash", ""),
        exhibit=number("exhibit", None),
        location=values.get("location", ""),
        status=values.get("status", ""),
        family=values.get("family", ""),
        review=values.get("review", ""),
        category=values.get("category", ""),
        camera=values.get("camera", ""),
        tag=values.get("tag", ""),
        modified_from=day("modified_from"),
        modified_to=day("modified_to"),
        sort=values.get("sort", "") or "path",
        descending=values.get("order", "") == "desc",
        page=number("page", 1) or 1,
        per_page=number("per_page", 50) or 50,
    ).checked()


def _explorer(request: Request, conn: Any, case_id: int) -> Explorer:
    user = user_of(request)
    view = BlindView(user, grading.actions(conn, case_id))
    return Explorer(conn, case_id, leave_out=unconfirmed_items(user) if view.blind else None)


@route(router, "GET", "/cases/{case_id}/items", ANY_USER)
def explorer_page(request: Request, case_id: int) -> Response:
    """Every item of the case's counted scans, a page at a time."""
    values = {k: v for k, v in request.query_params.items() if k in FIELDS}
    user = user_of(request)
    with store_of(request).connect() as conn:
        row = visible_case(conn, user, case_id)
        explorer = _explorer(request, conn, case_id)
        error = None
        try:
            wanted = _filter(values)
        except UsageError as exc:
            error, wanted = str(exc), ItemFilter()
        page = explorer.page(wanted)
        exhibits = explorer.exhibits()
        tags = tags_notes.case_tags(conn, case_id)
    kept = {k: v for k, v in values.items() if v and k != "page"}
    context = {
        "case": row,
        "page": page,
        "values": values,
        "error": error,
        "exhibits": exhibits,
        "tags": tags,
        "locations": LOCATIONS,
        "review_states": REVIEW_STATES,
        "sorts": list(SORTS),
        "page_sizes": PAGE_SIZES,
        "query_for": lambda n: urlencode({**kept, "page": n}),
        "filters": wanted.described(),
    }
    return render(request, "explorer.html", context, status=400 if error else 200)


@route(router, "POST", "/cases/{case_id}/items/export", ANY_USER)
async def explorer_export(request: Request, case_id: int) -> Response:
    """Every item the filter selects as CSV (not only the page shown); audited."""
    form = await request.form()
    values = {k: str(v) for k, v in form.items() if k in FIELDS}
    user = user_of(request)
    try:
        wanted = replace(_filter(values), ids=_selected(form.getlist("item")))
    except UsageError as exc:
        raise HTTPException(400, str(exc)) from None
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    with store_of(request).begin() as conn:
        row = visible_case(conn, user, case_id)
        count = 0
        for r in _explorer(request, conn, case_id).every(wanted):
            writer.writerow([safe_cell(v) for v in _cells(r)])
            count += 1
        detail = {"format": "csv", "rows": count, "filter": wanted.described()}
        append(conn, case_scope(case_id), user.name, "items.export", row.name, detail)
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", f"{row.name}-items.csv")  # a header is ASCII
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@route(router, "POST", "/cases/{case_id}/items/tag", ANY_USER)
async def explorer_tag(request: Request, case_id: int) -> Response:
    """Add a tag to the selected items, or take it off (audited); back to the same page."""
    form = await request.form()
    user = user_of(request)
    back = {k: str(v) for k, v in form.items() if k in FIELDS and str(v)}
    with store_of(request).begin() as conn:
        visible_case(conn, user, case_id)
        try:
            ids = list(_selected(form.getlist("item")))
            tag = str(form.get("new_tag", ""))
            if form.get("action") == "remove":
                tags_notes.remove_tag(conn, case_id, ids, tag, user.name)
            else:
                tags_notes.add_tag(conn, case_id, ids, tag, user.name)
        except UsageError as exc:
            raise HTTPException(400, str(exc)) from None
    return RedirectResponse(f"/cases/{case_id}/items?{urlencode(back)}", status_code=303)


@route(router, "POST", "/cases/{case_id}/notes", ANY_USER)
async def case_note_add(request: Request, case_id: int, body: str = Form("")) -> Response:
    """Write a note on the case (audited); back to the case page's notes."""
    user = user_of(request)
    with store_of(request).begin() as conn:
        visible_case(conn, user, case_id)
        try:
            tags_notes.add_note(conn, case_id, body, user.name)
        except UsageError as exc:
            raise HTTPException(400, str(exc)) from None
    return RedirectResponse(f"/cases/{case_id}#notes", status_code=303)


def _selected(raw: list[Any]) -> tuple[int, ...]:
    ids = []
    for value in raw:
        text = str(value)
        if not text.isdigit():
            raise UsageError("selection: item numbers only")
        ids.append(int(text))
    return tuple(ids)


def _cells(r: ExplorerRow) -> list[Any]:
    return [
        r.exhibit, r.path, r.name, r.location, r.family, r.file_type, r.size,
        r.modified.isoformat() if r.modified else None, r.taken, r.camera, r.status, r.reason,
        r.review, r.category, "; ".join(r.tags), r.md5,
    ]  # fmt: skip
