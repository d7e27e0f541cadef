"""The app's own CSS and JavaScript, from the package (nothing from outside the machine)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException
from starlette.responses import Response

from vigil.web.access import PUBLIC, route

router = APIRouter()
STATIC = Path(__file__).resolve().parent.parent / "static"
TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}


@route(router, "GET", "/static/{name}", PUBLIC)
def static_file(name: str) -> Response:
    """One file of the static folder, by exact name (no paths: nothing else is reachable)."""
    files = {p.name: p for p in STATIC.iterdir() if p.suffix in TYPES}
    path = files.get(name)
    if path is None:
        raise HTTPException(404, "no such file")
    return Response(path.read_bytes(), media_type=TYPES[path.suffix])


@route(router, "GET", "/favicon.ico", PUBLIC)
def favicon() -> Response:
    """No icon (browsers ask for one; an empty answer keeps their consoles clean)."""
    return Response(status_code=204)
