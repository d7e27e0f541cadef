"""Every route × every role × anonymous, generated from the app's own route table.

A route without an entry in ``vigil.web.access.RULES`` fails here (and is refused
at run time). For each route the test fills the path parameters with ids of the
demo case, calls it as anonymous and as each role, and checks that the guard
let through exactly the roles its rule names.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from web_helpers import PEOPLE, Site, app_client, csrf_of, pre_login_token

from vigil.web.access import PUBLIC, RULES
from vigil.web.app import create_app
from vigil.web.settings import WebSettings

ROLE_OF = {"ada": "admin", "eve": "examiner", "rex": "reviewer"}


def _walk(routes: list[Any]) -> Iterator[APIRoute]:
    for r in routes:
        if isinstance(r, APIRoute):
            yield r
        elif hasattr(r, "original_router"):  # an included router (FastAPI keeps it whole)
            yield from _walk(r.original_router.routes)
        else:
            raise AssertionError(f"{r!r} is not an APIRoute: it would bypass the guard")


def app_routes() -> list[tuple[str, str]]:
    """(method, path) of every route the app serves."""
    app = create_app(store=None, settings=WebSettings())  # type: ignore[arg-type]
    return sorted((method, r.path) for r in _walk(app.routes) for method in r.methods)


ROUTES = app_routes()


def test_every_route_has_an_access_rule() -> None:
    missing = [route for route in ROUTES if route not in RULES]
    assert missing == []
    assert len(ROUTES) >= 20


def test_no_rule_without_a_route() -> None:
    assert set(RULES) <= set(ROUTES)


def test_unruled_route_is_refused(sqlite_site: Site) -> None:
    app = create_app(sqlite_site.store, sqlite_site.settings)

    @app.get("/no-rule-here")
    def sneaky() -> dict[str, str]:
        return {"secret": "yes"}

    client = app_client(app)
    assert client.get("/no-rule-here").status_code == 403


def _fill(path: str, site: Site, item_id: int) -> str:
    values = {
        "case_id": str(site.case_id),
        "item_id": str(item_id),
        "name": "val" if path.startswith("/admin/users") else "demo-vics",
    }
    return re.sub(r"\{(\w+)(:\w+)?\}", lambda m: values.get(m.group(1), "x"), path)


def _call(client: TestClient, method: str, url: str, csrf: str | None) -> int:
    headers = {"Accept": "application/json"}
    if csrf:
        headers["X-CSRF-Token"] = csrf
    if url.startswith("/static/"):
        url = "/static/app.css"
    if method == "POST" and url.startswith("/api/"):
        # A well-formed body, so that what answers is the guard or the handler, not validation.
        body = {"group": "g", "item_ids": [1], "category": "zz-none", "action": "none"}
        return client.request(method, url, headers=headers, json=body).status_code
    return client.request(method, url, headers=headers).status_code


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_route_admits_exactly_its_roles(
    method: str, path: str, sqlite_site: Site, client_for: Callable[[str | None], TestClient]
) -> None:
    rule = RULES[(method, path)]
    item_id = _unknown_item(client_for("eve"), sqlite_site)
    url = _fill(path, sqlite_site, item_id)
    anonymous = _call(client_for(None), method, url, None)
    if rule == PUBLIC and method != "GET":
        # Before login the only guard is the pre-login CSRF token: refused without it.
        assert anonymous == 403, (method, path, anonymous)
        with sqlite_site.client(None) as fresh:
            status = _call(fresh, method, url, pre_login_token(fresh))
        assert status not in (401, 403), (method, path, status)
        return
    if rule == PUBLIC:
        assert anonymous not in (401, 403), (method, path, anonymous)
    else:
        assert anonymous == 401, (method, path, anonymous)
    for name, role in ROLE_OF.items():
        # Logging out ends the shared client's session: log out a client of its own.
        client = sqlite_site.client(name) if path == "/logout" else client_for(name)
        status = _call(client, method, url, csrf_of(client))
        if rule == PUBLIC or role in rule:
            assert status not in (401, 403), (method, path, name, status)
        else:
            assert status == 403, (method, path, name, status)


@pytest.mark.parametrize(("method", "path"), [r for r in ROUTES if "{case_id}" in r[1]])
def test_case_routes_hide_cases_from_unassigned_users(
    method: str, path: str, sqlite_site: Site, client_for: Callable[[str | None], TestClient]
) -> None:
    rule = RULES[(method, path)]
    url = _fill(path, sqlite_site, 0)
    for name in ("ed", "rita"):  # an examiner and a reviewer not on the case
        if PEOPLE[name] not in rule:
            continue
        client = client_for(name)
        assert _call(client, method, url, csrf_of(client)) == 404, (method, path, name)


@pytest.mark.parametrize(("method", "path"), [r for r in ROUTES if "{item_id}" in r[1]])
def test_item_routes_refuse_items_of_cases_not_assigned(
    method: str, path: str, sqlite_site: Site, client_for: Callable[[str | None], TestClient]
) -> None:
    item_id = _unknown_item(client_for("eve"), sqlite_site)
    url = _fill(path, sqlite_site, item_id)
    client = client_for("ed")
    assert _call(client, method, url, csrf_of(client)) == 404


def _unknown_item(client: TestClient, site: Site) -> int:
    queue = client.get(f"/api/cases/{site.case_id}/queue").json()
    return int(queue["groups"][0]["pictures"][0]["item"])
