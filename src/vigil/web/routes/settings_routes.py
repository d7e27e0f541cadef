"""The officer's own page: exposure over two weeks, and their settings (grading keys).

Settings are the officer's own (user_settings.py): a change is checked as a whole
(no key given to two actions), stored, and written to the global audit chain.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from vigil.audit import GLOBAL_SCOPE, append
from vigil.web import exposure, user_settings
from vigil.web.access import ANY_USER, route
from vigil.web.deps import render, store_of, user_of

router = APIRouter()


def key_rows(values: dict[str, str]) -> list[dict[str, str]]:
    """One row per grading action for the settings form and the key map."""
    return [
        {"action": action, "label": label, "key": values[f"key.{action}"], "default": default}
        for action, (default, label) in user_settings.KEY_ACTIONS.items()
    ]


def _me(request: Request, values: dict[str, str], error: str | None, status: int) -> Response:
    user = user_of(request)
    with store_of(request).connect() as conn:
        days = exposure.history(conn, user.id, 14)
    context: dict[str, Any] = {
        "days": days,
        "keys_on": values["keys.enabled"] == "on",
        "key_rows": key_rows(values),
        "error": error,
        "saved": request.query_params.get("saved") == "1",
    }
    return render(request, "me.html", context, status)


@route(router, "GET", "/me", ANY_USER)
def me_page(request: Request) -> Response:
    """The officer's own exposure over the last two weeks, and their settings."""
    with store_of(request).connect() as conn:
        values = user_settings.load(conn, user_of(request).id)
    return _me(request, values, None, 200)


@route(router, "POST", "/me/settings", ANY_USER)
async def save_settings(request: Request) -> Response:
    """Store the grading-key settings from the /me form (all or nothing)."""
    form = await request.form()
    changes = {"keys.enabled": "on" if form.get("keys_enabled") == "on" else "off"}
    for action in user_settings.KEY_ACTIONS:
        given = form.get(f"key.{action}")
        changes[f"key.{action}"] = given[:20] if isinstance(given, str) else ""
    user = user_of(request)
    store = store_of(request)
    try:
        with store.begin() as conn:
            before = user_settings.load(conn, user.id)
            after = user_settings.save(conn, user.id, changes)
            changed = {k: v for k, v in after.items() if before[k] != v}
            if changed:
                append(conn, GLOBAL_SCOPE, user.name, "user.settings", user.name, changed)
    except user_settings.SettingError as exc:
        with store.connect() as conn:
            values = {**user_settings.load(conn, user.id)}
        for name, value in changes.items():  # show what was typed, to correct it
            values[name] = value
        return _me(request, values, str(exc), 400)
    return RedirectResponse("/me?saved=1", status_code=303)
