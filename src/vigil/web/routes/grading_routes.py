"""The grading queue (examiners) and the second-grader view (reviewers), pages and API."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from starlette.responses import Response

from vigil.hashsets.schemes import load_scheme
from vigil.web import exposure, grading, grouping, labels, user_settings
from vigil.web.access import EXAMINER, GRADERS, REVIEWER, route
from vigil.web.deps import (
    pair_cache_of,
    render,
    settings_of,
    store_of,
    user_of,
    visible_case,
)
from vigil.web.routes.settings_routes import key_rows

router = APIRouter()

QUEUE_PAGE = 200
"""Groups sent per queue request: the page refetches after every decision anyway."""


class GradeRequest(BaseModel):
    """One decision on one group: every item id the page showed for it."""

    group: str = Field(max_length=64)
    item_ids: list[int] = Field(min_length=1, max_length=100_000)
    category: str = Field(max_length=64)


class ActionRequest(BaseModel):
    """A second grade or a resolution of one earlier decision."""

    action: str = Field(max_length=80)
    category: str = Field(max_length=64)


def _page(request: Request, case_id: int, template: str) -> Response:
    user = user_of(request)
    with store_of(request).connect() as conn:
        row = visible_case(conn, user, case_id)
        values = user_settings.load(conn, user.id)
    scheme = load_scheme(row.scheme)
    categories = [{"key": c.key, "label": c.label} for c in scheme.categories]
    keys = user_settings.key_map(values)
    context = {
        "case": row,
        "categories": categories,
        "allow_grader_resolve": settings_of(request).allow_grader_resolve,
        "keys": keys,
        "key_rows": [k for k in key_rows(values) if k["action"] in keys],
        "graded_set": settings_of(request).graded_set,
        "labels": labels.CATEGORIES,
    }
    return render(request, template, context)


@route(router, "GET", "/cases/{case_id}/grade", EXAMINER)
def grade_page(request: Request, case_id: int) -> Response:
    """The keyboard grading page (the queue is fetched by its script)."""
    return _page(request, case_id, "grade.html")


@route(router, "GET", "/cases/{case_id}/second", REVIEWER)
def second_page(request: Request, case_id: int) -> Response:
    """The second grader's page: decisions to confirm, disagreements to resolve."""
    return _page(request, case_id, "second.html")


@route(router, "GET", "/api/cases/{case_id}/queue", GRADERS)
def queue_api(
    request: Request, case_id: int, limit: int = Query(QUEUE_PAGE, ge=1, le=10_000)
) -> dict[str, Any]:
    """The first ``limit`` ungraded groups of the case, the totals, and today's exposure."""
    user, settings = user_of(request), settings_of(request)
    with store_of(request).connect() as conn:
        visible_case(conn, user, case_id)
        groups = grouping.queue(conn, case_id, settings.pdq_threshold, pair_cache_of(request))
        today = exposure.today(conn, user.id)
    return {
        "groups": [g.as_json() for g in groups[:limit]],
        "total_groups": len(groups),
        "total_items": sum(len(g.item_ids) for g in groups),
        "exposure": _exposure_json(today, settings.break_every),
    }


@route(router, "POST", "/api/cases/{case_id}/grade", EXAMINER)
def grade_api(request: Request, case_id: int, body: GradeRequest) -> dict[str, Any]:
    """Grade one group: every item shown, and every other copy of the same pictures."""
    user, settings = user_of(request), settings_of(request)
    with store_of(request).begin() as conn:
        row = visible_case(conn, user, case_id)
        action = grading.grade_items(
            conn, row, user, body.item_ids, body.category, body.group, settings.graded_set
        )
    return {"action": action.key, "category": action.category, "items": len(action.item_ids)}


@route(router, "POST", "/api/cases/{case_id}/undo", EXAMINER)
def undo_api(request: Request, case_id: int) -> dict[str, Any]:
    """Take back this officer's latest decision in the case."""
    user, settings = user_of(request), settings_of(request)
    with store_of(request).begin() as conn:
        row = visible_case(conn, user, case_id)
        action = grading.undo_last(conn, row, user, settings.graded_set)
    if action is None:
        return {"undone": None, "items": 0}
    return {"undone": action.key, "category": action.category, "items": len(action.item_ids)}


@route(router, "GET", "/api/cases/{case_id}/actions", REVIEWER)
def actions_api(request: Request, case_id: int) -> dict[str, Any]:
    """Decisions for this reviewer: to second-grade (first grade hidden), and disputes."""
    user, settings = user_of(request), settings_of(request)
    with store_of(request).connect() as conn:
        visible_case(conn, user, case_id)
        found = grading.actions(conn, case_id)
        today = exposure.today(conn, user.id)
        shown_ids = [i for a in found for i in a.as_json()["representatives"]]
        files = grading.files_of(conn, shown_ids)
    # The second grade is given blind: an awaiting decision never carries its first grade.
    awaiting = [
        _with_files(a.as_json(hide_first=True), files)
        for a in found
        if a.state == "awaiting" and a.graded_by != user.name
    ]
    settled = []
    for a in found:
        if a.state != "awaiting":
            shown = _with_files(a.as_json(), files)
            shown["may_resolve"] = a.state == "disputed" and grading.may_resolve(
                a, user, settings.allow_grader_resolve
            )
            settled.append(shown)
    return {
        "awaiting": awaiting,
        "settled": settled,
        "agreement": _agreement(found),
        "exposure": _exposure_json(today, settings.break_every),
    }


@route(router, "POST", "/api/cases/{case_id}/second", REVIEWER)
def second_api(request: Request, case_id: int, body: ActionRequest) -> dict[str, Any]:
    """Record a blind second grade; returns whether it agrees with the first."""
    user = user_of(request)
    with store_of(request).begin() as conn:
        row = visible_case(conn, user, case_id)
        action = grading.second_grade(conn, row, user, body.action, body.category)
    return action.as_json()


@route(router, "POST", "/api/cases/{case_id}/second/undo", REVIEWER)
def second_undo_api(request: Request, case_id: int) -> dict[str, Any]:
    """Take back this reviewer's latest second grade in the case (not once resolved)."""
    user = user_of(request)
    with store_of(request).begin() as conn:
        row = visible_case(conn, user, case_id)
        action = grading.undo_second(conn, row, user)
    if action is None:
        return {"undone": None, "items": 0}
    return {
        "undone": action.key,
        "category": action.second_category,
        "items": len(action.item_ids),
    }


@route(router, "POST", "/api/cases/{case_id}/resolve", REVIEWER)
def resolve_api(request: Request, case_id: int, body: ActionRequest) -> dict[str, Any]:
    """Settle a disagreement with the final category (a third officer, unless small-team)."""
    user, settings = user_of(request), settings_of(request)
    with store_of(request).begin() as conn:
        row = visible_case(conn, user, case_id)
        action = grading.resolve(
            conn,
            row,
            user,
            body.action,
            body.category,
            settings.graded_set,
            allow_grader=settings.allow_grader_resolve,
        )
    return action.as_json()


def _with_files(shown: dict[str, Any], files: dict[int, dict[str, str]]) -> dict[str, Any]:
    """The decision with the file name, path, exhibit and location of each picture shown."""
    unknown = {"path": "", "exhibit": "", "location": ""}
    shown["files"] = [
        {"item": i, **files.get(i, {"name": f"item {i}", **unknown})}
        for i in shown["representatives"]
    ]
    return shown


def _exposure_json(today: exposure.Exposure, break_every: int) -> dict[str, Any]:
    return {
        "day": today.day,
        "thumbnails": today.thumbnails,
        "reveals": today.reveals,
        "break_due": today.break_due(break_every),
    }


def _agreement(found: list[grading.Action]) -> dict[str, int]:
    states = [a.state for a in found]
    return {s: states.count(s) for s in ("awaiting", "agreed", "disputed", "resolved")}
