"""Thumbnails (blurred, greyscale) and reveals, for an item id of a case the user may see.

Nothing here takes a path from the client: the item id is looked up, its case
checked against the user's assignments, and the bytes reopened from the stored
locator and checked against the stored SHA-256. Only media that an officer has
to look at are served: ungraded unknown items and graded ones (for the second
grader); hash-set hits are never shown. The evidence is decoded only in the
preview workers (render_worker); a picture they refuse (too large, too slow,
undecodable) is answered with a placeholder that says why.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from sqlalchemy import Row, select
from starlette.responses import Response

from vigil.audit import append, case_scope
from vigil.store.schema import grade, item, scan_run
from vigil.web import exposure
from vigil.web.access import ANY_USER, GRADERS, route
from vigil.web.deps import settings_of, store_of, user_of, visible_case
from vigil.web.render_worker import PreviewLimits, RenderJob, pool_for
from vigil.web.settings import WebSettings
from vigil.web.thumbnails import ThumbnailError, placeholder

router = APIRouter()

REFUSED_HEADER = "X-Preview-Refused"
"""Set on a placeholder: why the picture is not shown (as the placeholder says)."""


def _media_item(request: Request, item_id: int) -> tuple[Row[Any], int]:
    """The item row and its case id, or 404 when the user may not see it."""
    user = user_of(request)
    with store_of(request).connect() as conn:
        row = conn.execute(
            select(item, scan_run.c.case_id)
            .join(scan_run, scan_run.c.id == item.c.run_id)
            .where(item.c.id == item_id)
        ).first()
        if row is None:
            raise HTTPException(404, "no such item")
        visible_case(conn, user, int(row.case_id))
        graded = conn.execute(select(grade.c.id).where(grade.c.item_id == item_id)).first()
    if row.family not in ("image", "video") or (row.review != "unknown" and graded is None):
        raise HTTPException(404, "this item is not one to look at")
    return row, int(row.case_id)


def _render(row: Row[Any], settings: WebSettings, blurred: bool) -> bytes:
    """The preview, made in a worker process under memory and time limits (render_worker)."""
    job = RenderJob(
        locator=row.locator,
        sha256=row.sha256,
        video=row.family == "video",
        size_px=settings.thumb_px,
        blur_radius_px=settings.blur_radius_px if blurred else None,
        frames=settings.sheet_frames,
    )
    limits = PreviewLimits(
        settings.render_workers, settings.render_memory_mb, settings.render_timeout_s
    )
    return pool_for(limits).render(job)


def _refused(reason: str, settings: WebSettings, today: exposure.Exposure) -> Response:
    """The placeholder that says why a picture is not shown (nothing seen: no exposure)."""
    headers = _exposure_headers(today)
    printable = "".join(c if " " <= c <= "~" else "?" for c in reason.replace("×", "x"))
    headers[REFUSED_HEADER] = printable[:200]
    return Response(
        placeholder(reason, settings.thumb_px), media_type="image/jpeg", headers=headers
    )


@route(router, "GET", "/items/{item_id}/thumb", GRADERS)
def thumbnail(request: Request, item_id: int) -> Response:
    """The blurred, greyscale thumbnail (or contact sheet) of an item; counts as exposure."""
    row, _ = _media_item(request, item_id)
    settings = settings_of(request)
    try:
        jpeg = _render(row, settings, True)
    except ThumbnailError as exc:
        with store_of(request).connect() as conn:
            return _refused(str(exc), settings, exposure.today(conn, user_of(request).id))
    with store_of(request).begin() as conn:
        today = exposure.count(conn, user_of(request).id, thumbnails=1)
    return Response(jpeg, media_type="image/jpeg", headers=_exposure_headers(today))


@route(router, "POST", "/items/{item_id}/reveal", GRADERS)
def reveal(request: Request, item_id: int) -> Response:
    """The unblurred thumbnail, on the officer's explicit action; audited in the case's log."""
    row, case_id = _media_item(request, item_id)
    settings = settings_of(request)
    user = user_of(request)
    try:
        jpeg = _render(row, settings, False)
    except ThumbnailError as exc:
        with store_of(request).connect() as conn:
            return _refused(str(exc), settings, exposure.today(conn, user.id))
    with store_of(request).begin() as conn:
        today = exposure.count(conn, user.id, reveals=1)
        detail = {"md5": row.md5.hex() if row.md5 else None, "item": row.display}
        append(conn, case_scope(case_id), user.name, "media.reveal", f"item:{item_id}", detail)
    return Response(jpeg, media_type="image/jpeg", headers=_exposure_headers(today))


@route(router, "GET", "/api/me/exposure", ANY_USER)
def my_exposure(request: Request) -> dict[str, Any]:
    """Today's counts for the header, and whether a break is due."""
    user, settings = user_of(request), settings_of(request)
    with store_of(request).connect() as conn:
        today = exposure.today(conn, user.id)
    return {
        "day": today.day,
        "thumbnails": today.thumbnails,
        "reveals": today.reveals,
        "break_due": today.break_due(settings.break_every),
        "break_every": settings.break_every,
        "break_minutes": settings.break_minutes,
    }


def _exposure_headers(today: exposure.Exposure) -> dict[str, str]:
    return {
        "X-Exposure-Thumbnails": str(today.thumbnails),
        "X-Exposure-Reveals": str(today.reveals),
    }
