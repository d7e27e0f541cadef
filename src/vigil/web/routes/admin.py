"""Administration: accounts, case assignments and the hash sets (list and export)."""

from __future__ import annotations

import io
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import RedirectResponse
from sqlalchemy import func, select
from starlette.responses import Response

from vigil.accounts import assignments, users
from vigil.errors import VigilError
from vigil.hashsets import library
from vigil.hashsets.removal import removal_impact
from vigil.store.schema import case, grade, web_session
from vigil.web.access import ADMIN, route
from vigil.web.deps import render, settings_of, store_of, user_of

router = APIRouter()

EXPORT_TYPES = {"vics": ("application/json", "json"), "csv": ("text/csv", "csv")}


def _admin_page(request: Request, message: str | None = None, error: str | None = None) -> Response:
    store = store_of(request)
    with store.connect() as conn:
        pairs = assignments.assignments(conn)
        cases = conn.execute(select(case.c.name).order_by(case.c.name)).scalars().all()
    context = {
        "people": users.list_users(store),
        "pairs": pairs,
        "cases": cases,
        "sets": library.list_sets(store),
        "roles": users.ROLES,
        "message": message,
        "error": error,
    }
    return render(request, "admin.html", context, status=400 if error else 200)


def _done(request: Request, action: object) -> Response:
    """Run an admin change; back to the admin page with what happened (PRG on success)."""
    try:
        message = action() if callable(action) else str(action)
    except VigilError as exc:
        return _admin_page(request, error=str(exc))
    return RedirectResponse(f"/admin?done={message}", status_code=303)


@route(router, "GET", "/admin", ADMIN)
def admin_page(request: Request, done: str | None = None) -> Response:
    """Users, assignments and hash sets."""
    return _admin_page(request, message=done[:200] if done else None)


@route(router, "POST", "/admin/users", ADMIN)
def add_user(
    request: Request,
    name: str = Form(..., max_length=64),
    role: str = Form(..., max_length=16),
    password: str = Form(..., max_length=1024),
) -> Response:
    """Create an account."""
    actor = user_of(request).name

    def act() -> str:
        users.add_user(store_of(request), name, role, password, actor)
        return f"added {name}"

    return _done(request, act)


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def _confirm_disable(request: Request, name: str, error: str | None = None) -> Response:
    """The page that names what disabling account ``name`` changes, with the button."""
    with store_of(request).connect() as conn:
        person = users.get_user(conn, name)
        now = datetime.now(UTC)
        sessions = conn.execute(
            select(func.count())
            .select_from(web_session)
            .where(web_session.c.user_id == person.id, web_session.c.expires_at > now)
        ).scalar_one()
        on_cases = [c for c, u in assignments.assignments(conn) if u == name]
    changes = [
        f"{name} can no longer log in",
        f"{_plural(int(sessions), 'open session')} of {name} end now",
    ]
    if on_cases:
        changes.append(f"{name} stops working on {', '.join(on_cases)} until enabled again")
    context = {
        "heading": f"Disable account {name}?",
        "loses_heading": "This changes:",
        "loses": changes,
        "kept": [
            "the account, its grades and its case assignments: Enable undoes this",
            "the audit log, which records the change",
        ],
        "action": f"/admin/users/{quote(name, safe='')}/disable",
        "confirm": name,
        "button": f"Disable {name}",
        "cancel": "Cancel: keep the account active",
        "error": error,
    }
    return render(request, "confirm.html", context, status=400 if error else 200)


@route(router, "GET", "/admin/users/{name}/disable", ADMIN)
def confirm_disable_user(request: Request, name: str) -> Response:
    """Ask before disabling an account: its sessions and cases."""
    if name == user_of(request).name:
        return _admin_page(request, error="You cannot disable your own account.")
    return _confirm_disable(request, name)


@route(router, "POST", "/admin/users/{name}/disable", ADMIN)
def disable_user(request: Request, name: str, confirm: str = Form("", max_length=64)) -> Response:
    """Disable an account and end its sessions, once its confirmation page was answered."""
    actor = user_of(request)
    if name == actor.name:
        return _admin_page(request, error="You cannot disable your own account.")
    if confirm != name:
        return _confirm_disable(request, name, error="Confirm on this page first.")

    def act() -> str:
        users.set_disabled(store_of(request), name, True, actor.name)
        return f"disabled {name}"

    return _done(request, act)


@route(router, "POST", "/admin/users/{name}/enable", ADMIN)
def enable_user(request: Request, name: str) -> Response:
    """Re-enable an account (clears a lockout)."""
    actor = user_of(request).name

    def act() -> str:
        users.set_disabled(store_of(request), name, False, actor)
        return f"enabled {name}"

    return _done(request, act)


@route(router, "POST", "/admin/users/{name}/password", ADMIN)
def reset_password(
    request: Request, name: str, password: str = Form(..., max_length=1024)
) -> Response:
    """Set a new password for an account (ends its sessions)."""
    actor = user_of(request).name

    def act() -> str:
        users.set_password(store_of(request), name, password, actor)
        return f"new password for {name}"

    return _done(request, act)


@route(router, "POST", "/admin/assign", ADMIN)
def assign(
    request: Request, name: str = Form(..., max_length=64), case_name: str = Form(..., alias="case")
) -> Response:
    """Let a user work on a case."""
    actor = user_of(request).name

    def act() -> str:
        done = assignments.assign(store_of(request), name, case_name, actor)
        return f"{name} assigned to {case_name}" if done else f"{name} already on {case_name}"

    return _done(request, act)


def _confirm_unassign(
    request: Request, name: str, case_name: str, error: str | None = None
) -> Response:
    """The page that names what taking ``case_name`` from ``name`` changes."""
    with store_of(request).connect() as conn:
        if (case_name, name) not in assignments.assignments(conn):
            raise HTTPException(404, f"{name} is not assigned to {case_name}")
        graded = conn.execute(
            select(func.count())
            .select_from(grade.join(case, grade.c.case_id == case.c.id))
            .where(case.c.name == case_name, grade.c.graded_by == name)
        ).scalar_one()
    context = {
        "heading": f"Take case {case_name} from {name}?",
        "loses_heading": "This changes:",
        "loses": [f"{name} can no longer see or grade case {case_name}"],
        "kept": [
            f"the {_plural(int(graded), 'grade')} {name} gave in {case_name}",
            "the audit log, which records the change; Assign undoes it",
        ],
        "action": "/admin/unassign",
        "fields": {"name": name, "case": case_name},
        "confirm": f"{name}/{case_name}",
        "button": f"Take {case_name} from {name}",
        "cancel": "Cancel: keep the assignment",
        "error": error,
    }
    return render(request, "confirm.html", context, status=400 if error else 200)


@route(router, "GET", "/admin/unassign", ADMIN)
def confirm_unassign(
    request: Request,
    name: Annotated[str, Query(max_length=64)],
    case_name: Annotated[str, Query(alias="case", max_length=200)],
) -> Response:
    """Ask before taking a case away from a user."""
    return _confirm_unassign(request, name, case_name)


@route(router, "POST", "/admin/unassign", ADMIN)
def unassign(
    request: Request,
    name: str = Form(..., max_length=64),
    case_name: str = Form(..., alias="case"),
    confirm: str = Form("", max_length=300),
) -> Response:
    """Take a case away from a user, once its confirmation page was answered."""
    actor = user_of(request).name
    if confirm != f"{name}/{case_name}":
        return _confirm_unassign(request, name, case_name, error="Confirm on this page first.")

    def act() -> str:
        assignments.unassign(store_of(request), name, case_name, actor)
        return f"{name} taken off {case_name}"

    return _done(request, act)


@route(router, "POST", "/admin/hashsets/{name}/export", ADMIN)
def export_set(request: Request, name: str, format: str = Form("vics")) -> Response:
    """Download a hash set as VICS 2.0 JSON or CSV; the export is audited."""
    if format not in EXPORT_TYPES:
        raise HTTPException(400, "format must be vics or csv")
    store = store_of(request)
    out = io.BytesIO()
    # The library records the export in the global audit chain as this user's.
    library.export_set(store, name, format, out, user=user_of(request).name)
    media_type, suffix = EXPORT_TYPES[format]
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
    disposition = f'attachment; filename="{safe}-{stamp}.{suffix}"'
    return Response(
        out.getvalue(), media_type=media_type, headers={"Content-Disposition": disposition}
    )


@route(router, "POST", "/admin/hashsets", ADMIN)
def import_set(
    request: Request,
    upload: Annotated[UploadFile, File()],
    name: str = Form(..., max_length=200),
    scheme: str = Form("uk", max_length=16),
    known_good: bool = Form(False),
) -> Response:
    """Import an uploaded hash-set file (VICS, CSV, hashdeep, NSRL, md5sum …) as set NAME."""
    if scheme not in ("uk", "us"):
        raise HTTPException(400, "scheme must be uk or us (scheme files: use vigil hashset import)")
    actor = user_of(request).name
    # Keep the uploaded file's own name in the path the library records as the source.
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in (upload.filename or "upload"))
    with tempfile.TemporaryDirectory(prefix="vigil-upload-") as folder:
        path = Path(folder) / (safe.lstrip(".") or "upload")
        with path.open("wb") as out:
            shutil.copyfileobj(upload.file, out, 1 << 20)

        def act() -> str:
            result = library.import_file(
                store_of(request), path, name, scheme=scheme, known_good=known_good, user=actor
            )
            return f"{result.status} {name}: {result.entry_count} entries ({result.format})"

        return _done(request, act)


def _keeps_grades(request: Request, name: str) -> Response | None:
    """The admin page with a refusal when ``name`` is the set that receives the grades."""
    if name != settings_of(request).graded_set:
        return None
    return _admin_page(
        request, error=f"{name} holds the force's grades: remove it with the CLI if you must"
    )


def _confirm_removal(request: Request, name: str, error: str | None = None) -> Response:
    """The page that names what removing set ``name`` loses, with the button that does it."""
    impact = removal_impact(store_of(request), name)
    kind = "known-good" if impact.known_good else "graded"
    loses = [
        f"hash set {impact.name}: {impact.entries:,} {kind} entries",
        f"its import history: {impact.versions} version{'s' if impact.versions != 1 else ''}",
    ]
    if impact.cases:
        loses.append(
            "future scans and re-matches lose its hits; it matched items in "
            + ", ".join(f"case {c.case} ({c.items:,} items)" for c in impact.cases)
        )
    else:
        loses.append("no case has matched it")
    context = {
        "heading": f"Remove hash set {name}?",
        "loses": loses,
        "kept": ["the audit log, which records the removal"],
        "action": f"/admin/hashsets/{quote(name, safe='')}/remove",
        "confirm": name,
        "button": f"Remove {name}",
        "error": error,
    }
    return render(request, "confirm.html", context, status=400 if error else 200)


@route(router, "GET", "/admin/hashsets/{name}/remove", ADMIN)
def confirm_remove_set(request: Request, name: str) -> Response:
    """Ask before removing a set: what it holds and which cases it matched."""
    return _keeps_grades(request, name) or _confirm_removal(request, name)


@route(router, "POST", "/admin/hashsets/{name}/remove", ADMIN)
def remove_set(request: Request, name: str, confirm: str = Form("", max_length=200)) -> Response:
    """Remove a hash set once its confirmation page was answered (not the graded set)."""
    refused = _keeps_grades(request, name)
    if refused is not None:
        return refused
    if confirm != name:
        # A bare POST (an old page, a script) gets the question instead of the removal.
        return _confirm_removal(request, name, error="confirm the removal on this page first")
    actor = user_of(request).name

    def act() -> str:
        gone = library.remove_set(store_of(request), name, user=actor)
        return f"removed {name} ({gone} entries)"

    return _done(request, act)
