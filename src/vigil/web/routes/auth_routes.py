"""Login and logout. A new session token at every login; failures count towards lockout.

The client address that the brake counts and the audit records is the ASGI
peer, which only :class:`vigil.web.security.TrustedProxies` may replace (from a
proxy named with ``--trusted-proxy``): a header alone never changes it.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from vigil.accounts.login import LoginBraked, LoginRefused, authenticate
from vigil.audit import GLOBAL_SCOPE, append
from vigil.web import sessions
from vigil.web.access import ANY_USER, PRE_LOGIN_COOKIE, PUBLIC, route
from vigil.web.deps import render, session_of, settings_of, store_of

router = APIRouter()


def _client(request: Request) -> str | None:
    return request.client.host if request.client else None


def safe_next(target: str | None) -> str:
    """``target`` when it is a path on this server, else the case list.

    Only a path on this server: no "https://…", "//host" or "/\\host" open redirect,
    and no backslash or control character anywhere (browsers drop tabs and newlines
    from a URL, so "/<tab>/host" would become "//host"), nor a scheme or host at all.
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/cases"
    if "\\" in target or any(ord(c) < 0x21 or ord(c) == 0x7F for c in target):
        return "/cases"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return "/cases"
    return target


def login_page(
    request: Request, next_url: str, error: str | None, status: int, name: str = ""
) -> Response:
    """The login form; after a refusal it keeps the name typed and says why, in a sentence."""
    token = secrets.token_urlsafe(24)
    if error:
        error = error[:1].upper() + error[1:] + ("" if error.endswith(".") else ".")
    context = {"pre_csrf": token, "next": next_url, "error": error, "name": name}
    page = render(request, "login.html", context, status)
    page.set_cookie(
        PRE_LOGIN_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=settings_of(request).secure_cookies,
        path="/login",
    )
    return page


@route(router, "GET", "/login", PUBLIC)
def login_form(request: Request, next: str | None = None) -> Response:
    """The login page (also shown when logged in: logging in again switches user)."""
    return login_page(request, safe_next(next), None, 200)


@route(router, "POST", "/login", PUBLIC)
def login(
    request: Request,
    name: str = Form(..., max_length=200),
    password: str = Form(..., max_length=1024),
    next: str = Form("/cases", max_length=500),
) -> Response:
    """Check the password; on success replace any session with a new one."""
    store, settings = store_of(request), settings_of(request)
    client = _client(request)
    try:
        user = authenticate(store, name, password, settings.lockout, settings.brake, client)
    except LoginBraked as braked:
        return login_page(request, safe_next(next), str(braked), 429, name)
    except LoginRefused as refused:
        return login_page(request, safe_next(next), str(refused), 401, name)
    with store.begin() as conn:
        sessions.destroy(conn, request.cookies.get(sessions.COOKIE))  # no fixation
        token = sessions.create(conn, user, settings, request.headers.get("user-agent"))
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(
        sessions.COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=settings.secure_cookies,
        path="/",
    )
    response.delete_cookie(PRE_LOGIN_COOKIE, path="/login")
    return response


@route(router, "POST", "/logout", ANY_USER)
def logout(request: Request) -> Response:
    """End this session."""
    session = session_of(request)
    with store_of(request).begin() as conn:
        sessions.destroy(conn, session.token)
        append(conn, GLOBAL_SCOPE, session.user.name, "logout", session.user.name)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(sessions.COOKIE, path="/")
    return response
