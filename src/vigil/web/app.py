"""The application factory: routes, the access guard, host and proxy checks, error pages."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from vigil.errors import NotFoundError, VigilError
from vigil.sources.reopen import ReopenError
from vigil.store.engine import Store
from vigil.web.access import FormExpired, NeedLogin, guard
from vigil.web.deps import ids_in_range, render
from vigil.web.grading import GradeError
from vigil.web.grouping import PairCache
from vigil.web.routes import (
    admin,
    auth_routes,
    crosscase_routes,
    explorer_routes,
    grading_routes,
    media,
    pages,
    rematch_routes,
    settings_routes,
    static,
)
from vigil.web.routes.auth_routes import login_page, safe_next
from vigil.web.security import AllowedHosts, SecurityHeaders, TrustedProxies
from vigil.web.settings import WebSettings
from vigil.web.thumbnails import ThumbnailError


def create_app(store: Store, settings: WebSettings | None = None) -> FastAPI:
    """The review app on ``store``; every route passes :func:`vigil.web.access.guard`.

    Then :func:`vigil.web.deps.ids_in_range`, so an id no row can have is a 404.
    """
    settings = settings or WebSettings()
    app = FastAPI(
        title="Vigil review",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,  # no unauthenticated description of the API
        dependencies=[Depends(guard), Depends(ids_in_range)],
    )
    app.state.store = store
    app.state.settings = settings
    app.state.pair_cache = PairCache()
    for module in (
        auth_routes,
        pages,
        grading_routes,
        rematch_routes,
        media,
        admin,
        crosscase_routes,
        explorer_routes,
        settings_routes,
        static,
    ):
        app.include_router(module.router)
    app.add_exception_handler(NeedLogin, _need_login)
    app.add_exception_handler(FormExpired, _form_expired)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(Exception, _server_error)
    app.add_exception_handler(GradeError, _conflict)
    app.add_exception_handler(ReopenError, _conflict)
    app.add_exception_handler(ThumbnailError, _conflict)
    app.add_exception_handler(NotFoundError, _not_found)
    app.add_exception_handler(VigilError, _bad_request)
    # The last added runs first: security headers go on every answer, the host
    # refusal included; the client address is settled before any route sees it.
    app.add_middleware(TrustedProxies, proxies=settings.trusted_proxies)
    app.add_middleware(AllowedHosts, hosts=settings.allowed_hosts)
    app.add_middleware(SecurityHeaders)
    return app


def wants_json(request: Request) -> bool:
    """API calls and scripts get JSON errors; people get a page."""
    return request.url.path.startswith(("/api/", "/items/")) or "text/html" not in (
        request.headers.get("accept", "")
    )


async def _need_login(request: Request, exc: Exception) -> Response:
    if request.method == "GET" and not wants_json(request):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='/')}", status_code=303)
    return JSONResponse({"detail": "log in first"}, status_code=401)


ERROR_TITLES = {
    400: "The request was not understood",
    401: "Log in first",
    403: "Not allowed",
    404: "Not found",
    405: "Not possible here",
    409: "Not possible now",
    413: "Too large",
    422: "Not a valid address or form",
    429: "Too many tries",
    500: "Something went wrong",
}
"""The heading of the one error page, by HTTP status."""


def error_title(status: int) -> str:
    """A plain heading for ``status``; unknown codes get the heading of their class."""
    return ERROR_TITLES.get(status) or ERROR_TITLES[500 if status >= 500 else 400]


def _sentence(message: object) -> str:
    text = str(message).strip() or "No more is known."
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "?", "!")) else text + "."


async def _form_expired(request: Request, exc: Exception) -> Response:
    """A login whose form cookie was lost: the form again, the name kept, a fresh token."""
    if not isinstance(exc, FormExpired):
        raise exc
    if request.url.path != "/login" or wants_json(request):
        return await _http_error(request, exc)
    message = "The form had expired, so nothing was checked: enter your password again"
    return login_page(request, safe_next(exc.next_url), message, 403, exc.name)


async def _http_error(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, StarletteHTTPException):
        raise exc
    if wants_json(request):
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)
    context = {
        "status": exc.status_code,
        "title": error_title(exc.status_code),
        "message": _sentence(exc.detail),
    }
    return render(request, "error.html", context, status=exc.status_code)


async def _invalid(request: Request, exc: Exception) -> Response:
    """FastAPI's validation failures: JSON for scripts, the error page for people."""
    if not isinstance(exc, RequestValidationError):
        raise exc
    if wants_json(request):
        return JSONResponse({"detail": jsonable_encoder(exc.errors())}, status_code=422)
    fields = []
    for problem in exc.errors():
        where = [
            str(part) for part in problem.get("loc", ()) if part not in ("path", "query", "body")
        ]
        fields.append(f"{' '.join(where) or 'the request'}: {problem.get('msg', 'not valid')}")
    message = "; ".join(fields[:5]) or "a value is not valid"
    return await _http_error(request, HTTPException(422, message))


async def _server_error(request: Request, exc: Exception) -> Response:
    """An unexpected failure: the error page, with no detail from the exception."""
    message = "The review app could not answer; the error is in the server log"
    return await _http_error(request, HTTPException(500, message))


async def _conflict(request: Request, exc: Exception) -> Response:
    return await _http_error(request, HTTPException(409, str(exc)))


async def _not_found(request: Request, exc: Exception) -> Response:
    return await _http_error(request, HTTPException(404, str(exc)))


async def _bad_request(request: Request, exc: Exception) -> Response:
    return await _http_error(request, HTTPException(400, str(exc)))
