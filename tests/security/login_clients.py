"""Helpers of the login-defence tests: accounts without a case, clients, the login form."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx2 import Client, Response

from vigil.accounts import users
from vigil.audit import GLOBAL_SCOPE, entries
from vigil.store.engine import Store
from vigil.store.schema import user_account

PASSWORD = "correct horse battery"
WRONG = "Summer2026!summer"
PEOPLE = {"ada": "admin", "eve": "examiner", "rex": "reviewer"}


def add_people(store: Store) -> None:
    """The accounts of :data:`PEOPLE`, all with :data:`PASSWORD`."""
    for name, role in PEOPLE.items():
        users.add_user(store, name, role, PASSWORD, "test-setup")


def app_client(app: FastAPI, peer: str = "127.0.0.1", **options: Any) -> TestClient:
    """A test client of ``app`` calling from ``peer``, with an allowed Host."""
    options.setdefault("follow_redirects", False)
    options.setdefault("base_url", "http://localhost")
    return TestClient(app, client=(peer, 50000), **options)


def pre_login_token(client: Client) -> str:
    """Open the login form (its cookie lands in ``client``) and return its CSRF token."""
    page = client.get("/login")
    found = re.findall(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, page.text
    return str(found[-1])


def post_login(
    client: Client, name: str, password: str, token: str, headers: dict[str, str] | None = None
) -> Response:
    """Send the login form with ``token`` as a browser would."""
    form = {"name": name, "password": password, "csrf_token": token, "next": "/cases"}
    return client.post("/login", data=form, headers=headers or {})


def login(client: Client, name: str, password: str = PASSWORD) -> Response:
    """Open the login form and send it."""
    return post_login(client, name, password, pre_login_token(client))


def session_csrf(client: Client) -> str:
    """The logged-in session's CSRF token, read from a page's meta tag."""
    found = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/me").text)
    assert found
    return found.group(1)


def login_audit(store: Store) -> list[tuple[str, str | None, dict[str, Any]]]:
    """(action, target, detail) of every login-related audit entry, oldest first."""
    with store.connect() as conn:
        return [
            (e.action, e.target, dict(e.detail or {}))
            for e in entries(conn, GLOBAL_SCOPE)
            if e.action.startswith(("login", "user.locked"))
        ]


def failed_logins_of(store: Store, name: str) -> tuple[int, bool]:
    """The account's failure count and whether it is locked now."""
    with store.connect() as conn:
        row = conn.execute(
            sa.select(user_account.c.failed_logins, user_account.c.locked_until).where(
                user_account.c.name == name
            )
        ).one()
    return int(row.failed_logins), row.locked_until is not None
