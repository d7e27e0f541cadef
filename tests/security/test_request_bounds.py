"""Requests the app must turn away cleanly: ids no row can have, unknown Host names.

Every integer path parameter of every route is filled with ids beyond 64 bits,
negative, zero and the largest possible: each answers 404, never a 500. A Host
header off the allow-list is answered 400, and the CSRF origin check compares
with the same list.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from login_clients import PEOPLE, add_people, app_client, login, session_csrf

from vigil.store.engine import Store, open_store
from vigil.web.access import RULES
from vigil.web.app import create_app
from vigil.web.settings import WebSettings

BAD_IDS = ["99999999999999999999999", "9223372036854775808", "-1", "0", "+7", "1e3", "٣"]
LARGEST_IDS = ["2147483647", "2147483648", "9223372036854775807"]
"""Around the widths of the keys (INTEGER case ids, BIGINT item ids on PostgreSQL)."""


def _walk(routes: list[Any]) -> Iterator[APIRoute]:
    for r in routes:
        if isinstance(r, APIRoute):
            yield r
        elif hasattr(r, "original_router"):
            yield from _walk(r.original_router.routes)


def _id_routes() -> list[tuple[str, str]]:
    app = create_app(store=None, settings=WebSettings())  # type: ignore[arg-type]
    return sorted(
        (method, r.path)
        for r in _walk(app.routes)
        if any(p.field_info.annotation is int for p in r.dependant.path_params)
        for method in r.methods
    )


ID_ROUTES = _id_routes()


def test_routes_with_ids_are_found() -> None:
    paths = {path for _, path in ID_ROUTES}
    assert "/items/{item_id}/thumb" in paths and "/cases/{case_id}" in paths


@pytest.mark.parametrize("value", [*BAD_IDS, *LARGEST_IDS])
def test_ids_no_row_can_have_answer_404(store: Store, value: str) -> None:
    add_people(store)
    app = create_app(store, WebSettings())
    clients = {}
    for name, role in PEOPLE.items():
        clients[role] = app_client(app)
        assert login(clients[role], name).status_code == 303
    tokens = {role: session_csrf(client) for role, client in clients.items()}
    for method, path in ID_ROUTES:
        role = sorted(RULES[(method, path)])[0]
        url = re.sub(r"\{\w+\}", value, path)
        headers = {"X-CSRF-Token": tokens[role], "Accept": "application/json"}
        # A well-formed body, so that what answers is the id check or the handler.
        body = {"group": "g", "item_ids": [1], "category": "zz-none", "action": "none"}
        json = body if method == "POST" else None
        response = clients[role].request(method, url, headers=headers, json=json)
        assert response.status_code == 404, (method, url, response.text)


@pytest.fixture
def anonymous(tmp_path: Path) -> Iterator[Callable[[str], TestClient]]:
    """Clients of an app on an empty SQLite store, sending the Host they are given."""
    store = open_store(f"sqlite:///{tmp_path / 'hosts.db'}")
    app = create_app(store, WebSettings())
    try:
        yield lambda host: app_client(app, base_url=f"http://{host}")
    finally:
        store.close()


@pytest.mark.parametrize("host", ["evil.example", "localhost.evil.example", "127.0.0.2"])
def test_unknown_host_names_are_answered_400(
    host: str, anonymous: Callable[[str], TestClient]
) -> None:
    client = anonymous(host)
    response = client.get("/static/app.css")
    assert response.status_code == 400 and "--allowed-host" in response.text
    assert response.headers["x-frame-options"] == "DENY"  # security headers on it too


@pytest.mark.parametrize("host", ["localhost", "localhost:8080", "127.0.0.1:80", "[::1]:8080"])
def test_local_host_names_are_allowed(host: str, anonymous: Callable[[str], TestClient]) -> None:
    assert anonymous(host).get("/static/app.css").status_code == 200


def test_host_and_origin_both_evil_are_refused(store: Store) -> None:
    add_people(store)
    app = create_app(store, WebSettings())
    client = app_client(app)
    assert login(client, "eve").status_code == 303
    evil = {"Host": "evil.example", "Origin": "http://evil.example"}
    headers = {"X-CSRF-Token": session_csrf(client), **evil}
    assert client.post("/logout", headers=headers).status_code == 400
    assert client.get("/me").status_code == 200  # still logged in


def test_origin_check_compares_with_the_allow_list(store: Store) -> None:
    add_people(store)
    settings = WebSettings(allowed_hosts=("localhost", "vigil.example"))
    app = create_app(store, settings)
    client = app_client(app, base_url="http://vigil.example")
    assert login(client, "eve").status_code == 303
    token = session_csrf(client)
    refused = [
        {"Origin": "http://evil.example"},
        {"Origin": "http://localhost"},  # allowed, but not the host the page came from
        {"Origin": "http://vigil.example:8443"},
    ]
    for origin in refused:
        response = client.post("/logout", headers={"X-CSRF-Token": token, **origin})
        assert response.status_code == 403, origin
    own = {"X-CSRF-Token": token, "Origin": "http://vigil.example"}
    assert client.post("/logout", headers=own).status_code == 303


def test_a_host_header_with_user_info_is_refused(anonymous: Callable[[str], TestClient]) -> None:
    client = anonymous("localhost")
    for host in ("localhost@evil.example", "[::1]evil.example", "[::1"):
        assert client.get("/static/app.css", headers={"Host": host}).status_code == 400, host
