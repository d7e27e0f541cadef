"""Who may call which route: one table, checked for every request (fail closed).

Each route is declared with :func:`route`, which records its rule in
:data:`RULES` under (method, path). The app-wide :func:`guard` dependency looks
the matched route up: a route with no rule is refused, so a new route cannot
be reachable by accident (a test walks the app's route table against it).

Rules name roles. ``PUBLIC`` routes need no session (login page, static
files). Per-case rules (assigned to the case) are checked in the handlers with
:func:`vigil.web.deps.visible_case`, which answers 404 so that a case's
existence is not disclosed.

Every state-changing request (not GET/HEAD) must carry the CSRF token: the
session's (header ``X-CSRF-Token`` or form field ``csrf_token``) or, before
login, the double-submit cookie's. A cross-site ``Origin`` or ``Sec-Fetch-Site`` is
refused outright.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from fastapi import APIRouter, HTTPException, Request
from starlette.concurrency import run_in_threadpool

from vigil.web import sessions
from vigil.web.security import host_of, normal_hosts

PUBLIC: frozenset[str] = frozenset({"public"})
ANY_USER: frozenset[str] = frozenset({"examiner", "reviewer", "admin"})
EXAMINER: frozenset[str] = frozenset({"examiner"})
REVIEWER: frozenset[str] = frozenset({"reviewer"})
GRADERS: frozenset[str] = frozenset({"examiner", "reviewer"})
ADMIN: frozenset[str] = frozenset({"admin"})

RULES: dict[tuple[str, str], frozenset[str]] = {}
"""(method, path template) → roles allowed (or PUBLIC)."""

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PRE_LOGIN_COOKIE = "vigil_prelogin"

F = TypeVar("F", bound=Callable[..., Any])


class NeedLogin(Exception):
    """No live session: pages redirect to the login page, the API answers 401."""


def route(
    router: APIRouter, method: str, path: str, roles: frozenset[str], **kw: Any
) -> Callable[[F], F]:
    """Declare a route and its access rule together."""
    RULES[(method, path)] = roles
    decorator: Callable[[F], F] = router.api_route(path, methods=[method], **kw)
    return decorator


class FormExpired(HTTPException):
    """A public form (login) came without its pre-login token: a lost or old form cookie.

    It carries the name typed and the page to go on to, so the login form can be
    shown again with both kept.
    """

    def __init__(self, name: str, next_url: str) -> None:
        super().__init__(403, "the form expired: reload the page and try again")
        self.name = name
        self.next_url = next_url


async def _expired(request: Request) -> FormExpired:
    if not request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        return FormExpired("", "")
    form = await request.form()
    name, next_url = form.get("name"), form.get("next")
    return FormExpired(
        name[:200] if isinstance(name, str) else "",
        next_url[:500] if isinstance(next_url, str) else "",
    )


async def guard(request: Request) -> None:
    """App-wide dependency: session, role and CSRF checks for the matched route."""
    matched = request.scope.get("route")
    path = getattr(matched, "path", None)
    rule = RULES.get((request.method, str(path)))
    if rule is None:
        raise HTTPException(403, "no access rule for this route")
    token = request.cookies.get(sessions.COOKIE)
    # In a worker thread: a scan holding SQLite's write lock must not stall the event loop.
    session = await run_in_threadpool(_session, request, token)
    request.state.session = session
    if request.method not in SAFE_METHODS:
        _check_origin(request)
    if rule == PUBLIC:
        if request.method not in SAFE_METHODS:
            expected = request.cookies.get(PRE_LOGIN_COOKIE)
            if not expected or not sessions.tokens_match(expected, await _csrf_given(request)):
                raise await _expired(request)
        return
    if session is None:
        raise NeedLogin()
    if session.user.role not in rule:
        raise HTTPException(403, "your role may not do this")
    if request.method not in SAFE_METHODS and not sessions.tokens_match(
        session.csrf, await _csrf_given(request)
    ):
        raise HTTPException(403, "missing or wrong CSRF token: reload the page")


def _session(request: Request, token: str | None) -> sessions.Session | None:
    with request.app.state.store.begin() as conn:
        found: sessions.Session | None = sessions.lookup(conn, token, request.app.state.settings)
    return found


async def _csrf_given(request: Request) -> str | None:
    header = request.headers.get("x-csrf-token")
    if header:
        return header
    if request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get("csrf_token")
        return value if isinstance(value, str) else None
    return None


def _check_origin(request: Request) -> None:
    # Browsers say where a request comes from. With Referrer-Policy no-referrer a
    # same-origin POST carries "Origin: null", so only a named other origin, or
    # Sec-Fetch-Site saying cross-site / same-site, is refused here; the CSRF
    # token is what every state change must carry in any case.
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        raise HTTPException(403, "cross-site request refused")
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return
    # The Host allow-list (security.AllowedHosts) has passed the Host header; the
    # origin must be that same host and port, and a name on the list too.
    netloc = urlsplit(origin).netloc
    allowed = normal_hosts(request.app.state.settings.allowed_hosts)
    if netloc != request.headers.get("host", "") or host_of(netloc) not in allowed:
        raise HTTPException(403, "cross-site request refused")
