"""Login, logout, sessions, lockout, CSRF and security headers of the review app."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from fastapi.testclient import TestClient
from web_helpers import PASSWORD, Site, app_client, csrf_of, login, pre_login_token

from vigil.accounts.brake import BrakePolicy
from vigil.audit import GLOBAL_SCOPE, entries
from vigil.store.schema import user_account, web_session
from vigil.web import sessions
from vigil.web.app import create_app
from vigil.web.security import CSP


def _audit_actions(site: Site) -> list[tuple[str, str | None]]:
    with site.store.connect() as conn:
        return [(e.action, e.target) for e in entries(conn, GLOBAL_SCOPE)]


def test_login_sets_a_fresh_http_only_session_cookie(sqlite_site: Site) -> None:
    client = sqlite_site.client(None)
    response = login(client, "eve", PASSWORD)
    assert response.status_code == 303
    assert response.headers["location"] == "/cases"
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "samesite=strict" in cookie.lower()
    token = response.cookies.get(sessions.COOKIE)
    assert token
    with sqlite_site.store.connect() as conn:
        stored = conn.execute(sa.select(web_session.c.token_hash)).scalars().all()
    assert sessions.token_hash(token) in stored
    assert token not in stored  # only the hash is kept
    assert ("login", "eve") in _audit_actions(sqlite_site)


def test_session_id_changes_at_login(sqlite_site: Site) -> None:
    client = sqlite_site.client("eve")
    before = client.cookies.get(sessions.COOKIE)
    response = login(client, "eve", PASSWORD)  # logging in again, e.g. after a fixation attempt
    assert response.status_code == 303
    after = client.cookies.get(sessions.COOKIE)
    assert after and after != before
    # The old token is gone from the store: it cannot be replayed.
    old = app_client(client.app, cookies={sessions.COOKIE: before or ""}, follow_redirects=False)
    assert old.get("/api/me/exposure").status_code == 401


def test_wrong_password_is_refused_and_audited(sqlite_site: Site) -> None:
    client = sqlite_site.client(None)
    response = login(client, "eve", "not the password at all")
    assert response.status_code == 401
    assert "Login failed: wrong name or password" in response.text
    # The name typed is kept, and the password field has the focus for the next try.
    assert 'name="name" autocomplete="username" required value="eve"' in response.text
    assert 'current-password" required autofocus' in response.text
    assert sessions.COOKIE not in client.cookies
    assert ("login.failed", "eve") in _audit_actions(sqlite_site)


def test_unknown_user_gets_the_same_answer(sqlite_site: Site) -> None:
    client = sqlite_site.client(None)
    response = login(client, "nobody-here", PASSWORD)
    assert response.status_code == 401
    assert "wrong name or password" in response.text
    assert ("login.failed", "nob…") in _audit_actions(sqlite_site)


def test_lockout_after_repeated_failures(sqlite_site: Site) -> None:
    client = sqlite_site.client(None)
    for _ in range(sqlite_site.settings.lockout.max_failures):
        assert login(client, "rita", "wrong password 123").status_code == 401
    # Now even the right password is refused until the lock expires.
    assert login(client, "rita", PASSWORD).status_code == 401
    assert ("user.locked", "rita") in _audit_actions(sqlite_site)
    with sqlite_site.store.begin() as conn:
        conn.execute(
            sa.update(user_account)
            .where(user_account.c.name == "rita")
            .values(locked_until=datetime.now(UTC) - timedelta(seconds=1))
        )
    assert login(client, "rita", PASSWORD).status_code == 303


def test_logout_ends_the_session(sqlite_site: Site) -> None:
    client = sqlite_site.client("eve")
    token = client.cookies.get(sessions.COOKIE)
    response = client.post("/logout", data={"csrf_token": csrf_of(client)})
    assert response.status_code == 303
    replay = app_client(client.app, cookies={sessions.COOKIE: token or ""})
    assert replay.get("/api/me/exposure").status_code == 401
    assert ("logout", "eve") in _audit_actions(sqlite_site)


def test_idle_and_expired_sessions_end(sqlite_site: Site) -> None:
    client = sqlite_site.client("eve")
    token = client.cookies.get(sessions.COOKIE) or ""
    idle = sqlite_site.settings.session_idle
    with sqlite_site.store.begin() as conn:
        conn.execute(
            sa.update(web_session)
            .where(web_session.c.token_hash == sessions.token_hash(token))
            .values(last_seen_at=datetime.now(UTC) - idle - timedelta(seconds=1))
        )
    assert client.get("/api/me/exposure").status_code == 401
    client = sqlite_site.client("eve")
    token = client.cookies.get(sessions.COOKIE) or ""
    with sqlite_site.store.begin() as conn:
        conn.execute(
            sa.update(web_session)
            .where(web_session.c.token_hash == sessions.token_hash(token))
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    assert client.get("/api/me/exposure").status_code == 401


def test_pages_redirect_to_login_and_api_answers_401(sqlite_site: Site) -> None:
    client = sqlite_site.client(None)
    page = client.get(f"/cases/{sqlite_site.case_id}", headers={"Accept": "text/html"})
    assert page.status_code == 303
    assert page.headers["location"] == f"/login?next=/cases/{sqlite_site.case_id}"
    assert client.get(f"/api/cases/{sqlite_site.case_id}/queue").status_code == 401


def test_login_does_not_redirect_off_site(sqlite_site: Site) -> None:
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        client = sqlite_site.client(None)
        token = pre_login_token(client)
        form = {"name": "eve", "password": PASSWORD, "csrf_token": token, "next": target}
        response = client.post("/login", data=form)
        assert response.headers["location"] == "/cases"


def test_state_changes_without_csrf_are_refused(
    client_for: Callable[[str | None], TestClient], sqlite_site: Site
) -> None:
    eve = client_for("eve")
    url = f"/api/cases/{sqlite_site.case_id}/undo"
    assert eve.post(url).status_code == 403
    assert eve.post(url, headers={"X-CSRF-Token": "0" * 64}).status_code == 403
    assert eve.post(url, headers={"X-CSRF-Token": csrf_of(eve)}).status_code == 200
    ada = client_for("ada")
    form = {"name": "mallory", "role": "admin", "password": PASSWORD}
    assert ada.post("/admin/users", data=form).status_code == 403
    assert "mallory" not in [u for _, u in _audit_actions(sqlite_site)]


def test_cross_site_origin_is_refused_even_with_the_token(
    client_for: Callable[[str | None], TestClient], sqlite_site: Site
) -> None:
    eve = client_for("eve")
    url = f"/api/cases/{sqlite_site.case_id}/undo"
    token = csrf_of(eve)
    for refused in (
        {"Origin": "https://evil.example"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site", "Origin": "null"},
    ):
        assert eve.post(url, headers={"X-CSRF-Token": token, **refused}).status_code == 403
    # What a browser sends from our own page under Referrer-Policy no-referrer.
    own = {"X-CSRF-Token": token, "Origin": "null", "Sec-Fetch-Site": "same-origin"}
    assert eve.post(url, headers=own).status_code == 200


def test_login_form_needs_its_csrf_token(sqlite_site: Site) -> None:
    client = sqlite_site.client(None)
    pre_login_token(client)
    form = {"name": "eve", "password": PASSWORD, "csrf_token": "forged"}
    assert client.post("/login", data=form).status_code == 403


def test_security_headers_on_pages_errors_and_static(
    client_for: Callable[[str | None], TestClient], sqlite_site: Site
) -> None:
    eve = client_for("eve")
    for response in (
        eve.get("/cases"),
        eve.get("/cases/999999"),
        eve.get("/static/app.js"),
        client_for(None).get("/login"),
    ):
        assert response.headers["content-security-policy"] == CSP
        assert "unsafe-inline" not in CSP and "script-src 'self'" in CSP
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.headers["cache-control"] == "no-store"


def test_pages_have_no_inline_script_and_no_outside_assets(
    client_for: Callable[[str | None], TestClient], sqlite_site: Site
) -> None:
    eve, rex, ada = client_for("eve"), client_for("rex"), client_for("ada")
    pages = [
        eve.get("/cases").text,
        eve.get(f"/cases/{sqlite_site.case_id}").text,
        eve.get(f"/cases/{sqlite_site.case_id}/grade").text,
        rex.get(f"/cases/{sqlite_site.case_id}/second").text,
        ada.get("/admin").text,
        client_for(None).get("/login").text,
    ]
    for html in pages:
        assert "<script>" not in html and " on" + "click=" not in html
        assert "http://" not in html and "https://" not in html
    assert "https://" not in eve.get("/static/app.js").text


def test_static_serves_only_its_own_files(client_for: Callable[[str | None], TestClient]) -> None:
    anonymous = client_for(None)
    assert anonymous.get("/static/app.css").status_code == 200
    for name in ("..%2F..%2Fapp.py", "%2e%2e%2fsettings.py", "app.py", "nothing.js"):
        assert anonymous.get(f"/static/{name}").status_code == 404


def test_disabled_user_loses_sessions_at_once(sqlite_site: Site) -> None:
    client = sqlite_site.client("val")
    admin = sqlite_site.client("ada")
    assert (
        admin.post(
            "/admin/users/val/disable", data={"csrf_token": csrf_of(admin), "confirm": "val"}
        ).status_code
        == 303
    )
    assert client.get("/api/me/exposure").status_code == 401
    assert login(sqlite_site.client(None), "val", PASSWORD).status_code == 401
    assert (
        admin.post("/admin/users/val/enable", data={"csrf_token": csrf_of(admin)}).status_code
        == 303
    )
    assert ("user.disable", "val") in _audit_actions(sqlite_site)


def test_abandoned_sessions_are_swept_at_login(sqlite_site: Site) -> None:
    abandoned = sqlite_site.client("eve").cookies.get(sessions.COOKIE) or ""
    with sqlite_site.store.begin() as conn:
        conn.execute(
            sa.update(web_session)
            .where(web_session.c.token_hash == sessions.token_hash(abandoned))
            .values(last_seen_at=datetime.now(UTC) - timedelta(days=2))
        )
    sqlite_site.client("rex")
    with sqlite_site.store.connect() as conn:
        left = conn.execute(sa.select(web_session.c.token_hash)).scalars().all()
    assert sessions.token_hash(abandoned) not in left and left


def test_password_spraying_from_one_address_is_braked(sqlite_site: Site) -> None:
    settings = replace(sqlite_site.settings, brake=BrakePolicy(max_failures=3))
    sprayer = {"follow_redirects": False, "client": ("10.1.1.1", 4321)}
    client = app_client(create_app(sqlite_site.store, settings), **sprayer)
    for name in ("ed", "rita", "val"):  # one guess at each of three accounts: no lockout
        assert login(client, name, "Summer2026!summer").status_code == 401
    braked = login(client, "eve", PASSWORD)
    assert braked.status_code == 429 and "Too many failed logins" in braked.text
    assert ("login.throttled", "eve…") in _audit_actions(sqlite_site)
    # The brake is in the database: a fresh app (a restart, another process) keeps it.
    again = app_client(create_app(sqlite_site.store, settings), **sprayer)
    assert login(again, "eve", PASSWORD).status_code == 429
    # Another address is not braked.
    other = app_client(
        create_app(sqlite_site.store, settings), follow_redirects=False, client=("10.9.9.9", 1)
    )
    assert login(other, "eve", PASSWORD).status_code == 303


def test_a_lost_form_cookie_gives_the_form_back_with_the_name(sqlite_site: Site) -> None:
    client = sqlite_site.client(None)
    token = pre_login_token(client)
    client.cookies.clear()  # the pre-login cookie is gone (expired, cleared, another tab)
    form = {"name": "eve", "password": PASSWORD, "csrf_token": token, "next": "/cases/1/grade"}
    answer = client.post("/login", data=form, headers={"Accept": "text/html"})
    assert answer.status_code == 403
    assert "<h1>Log in</h1>" in answer.text and "The form had expired" in answer.text
    assert 'required value="eve"' in answer.text
    assert 'name="next" value="/cases/1/grade"' in answer.text
    # The page set a fresh token: the next try goes through.
    retry = {**form, "csrf_token": pre_login_token(client)}
    assert client.post("/login", data=retry).status_code == 303
