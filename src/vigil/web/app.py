"""The application factory: routes, the access guard, host and proxy checks, error pages."""

from __future__ import annotations

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from vigil.errors import NotFoundError, VigilError
from vigil.sources.reopen import ReopenError
from vigil.store.engine import Store
from vigil.web.access import NeedLogin, guard
from vigil.web.deps import ids_in_range, render
from vigil.web.grading import GradeError
from vigil.web.grouping import PairCache
from vigil.web.routes import (
    admin,
    auth_routes,
    crosscase_routes,
    grading_routes,
    media,
    pages,
    rematch_routes,
    static,
)
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
        static,
    ):
        app.include_router(module.router)
    app.add_exception_handler(NeedLogin, _need_login)
    app.add_exception_handler(StarletteHTTPException, _http_error)
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
        target = request.url.path
        return RedirectResponse(f"/login?next={target}", status_code=303)
    return JSONResponse({"detail": "log in first"}, status_code=401)


async def _http_error(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, StarletteHTTPException):
        raise exc
    if wants_json(request):
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)
    context = {"status": exc.status_code, "message": exc.detail}
    return render(request, "error.html", context, status=exc.status_code)


async def _conflict(request: Request, exc: Exception) -> Response:
    return await _http_error(request, HTTPException(409, str(exc)))


async def _not_found(request: Request, exc: Exception) -> Response:
    return await _http_error(request, HTTPException(404, str(exc)))


async def _bad_request(request: Request, exc: Exception) -> Response:
    return await _http_error(request, HTTPException(400, str(exc)))
