"""After login the app goes back where the officer was (an expired session while grading),
but only to a path on this server: an absolute, protocol-relative or disguised foreign
``next`` is refused and the case list is opened instead."""

from __future__ import annotations

import pytest
from web_helpers import PASSWORD, Site, pre_login_token

from vigil.web.routes.auth_routes import safe_next


def _login_to(site: Site, next_url: str) -> str:
    client = site.client(None)
    token = pre_login_token(client)
    data = {"name": "eve", "password": PASSWORD, "csrf_token": token, "next": next_url}
    response = client.post("/login", data=data)
    assert response.status_code == 303
    return str(response.headers["location"])


def test_next_returns_to_the_same_place_in_the_queue(sqlite_site: Site) -> None:
    here = f"/cases/{sqlite_site.case_id}/grade?at=abc123"
    assert _login_to(sqlite_site, here) == here


@pytest.mark.parametrize(
    "foreign",
    [
        "https://evil.example/steal",
        "http://localhost.evil.example/",
        "//evil.example/x",
        "/\\evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        "javascript:alert(1)",
        "cases",
        "",
    ],
)
def test_foreign_next_is_refused(sqlite_site: Site, foreign: str) -> None:
    assert safe_next(foreign) == "/cases"
    assert _login_to(sqlite_site, foreign) == "/cases"


def test_expired_page_request_keeps_path_and_query_for_after_login(sqlite_site: Site) -> None:
    anonymous = sqlite_site.client(None)
    where = f"/cases/{sqlite_site.case_id}/grade?at=k1"
    sent = anonymous.get(where, headers={"Accept": "text/html"})
    assert sent.status_code == 303
    assert sent.headers["location"] == f"/login?next=/cases/{sqlite_site.case_id}/grade%3Fat%3Dk1"
    form = anonymous.get(sent.headers["location"])
    assert f'name="next" value="{where}"' in form.text
    # The page's script sees the API's 401 and offers to log in again (grade.html).
    api = anonymous.get(f"/api/cases/{sqlite_site.case_id}/queue")
    assert api.status_code == 401
