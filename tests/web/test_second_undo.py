"""Second grading with undo and context: a reviewer takes back their own second grade
(agreeing or not) until a third officer resolves it; decisions name their files."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient
from web_helpers import CASE, Site, csrf_of

from vigil.accounts import assignments
from vigil.audit import case_scope, entries
from vigil.store.schema import grade


def _post(client: TestClient, url: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(url, json=body, headers={"X-CSRF-Token": csrf_of(client)})


def _first_grade(site: Site, category: str) -> str:
    eve = site.client("eve")
    group = eve.get(f"/api/cases/{site.case_id}/queue").json()["groups"][0]
    body = {"group": group["key"], "item_ids": group["item_ids"], "category": category}
    done = _post(eve, f"/api/cases/{site.case_id}/grade", body)
    assert done.status_code == 200, done.text
    return str(done.json()["action"])


def test_second_grade_undo_and_file_context(site: Site) -> None:
    key = _first_grade(site, "A")
    rex = site.client("rex")
    base = f"/api/cases/{site.case_id}"
    awaiting = rex.get(f"{base}/actions").json()["awaiting"]
    files = awaiting[0]["files"]
    assert files and files[0]["name"].endswith((".jpg", ".png", ".jpeg", ".gif", ".bmp", ".webp"))
    assert (
        files[0]["exhibit"]
        and files[0]["location"] in ("Live file", "Inside an archive")
        and files[0]["path"]
    )
    assert _post(rex, f"{base}/undo").status_code == 403  # examiners' undo is not theirs
    assert _post(rex, f"{base}/second/undo").json() == {"undone": None, "items": 0}
    # An agreeing second grade settles the final grade; undo clears it again.
    assert (
        _post(rex, f"{base}/second", {"action": key, "category": "A"}).json()["state"] == "agreed"
    )
    undone = _post(rex, f"{base}/second/undo").json()
    assert undone["undone"] == key and undone["category"] == "A"
    with site.store.connect() as conn:
        rows = conn.execute(sa.select(grade).where(grade.c.group_key == key)).all()
    assert {(r.second_category, r.final_category, r.resolved_by) for r in rows} == {
        (None, None, None)
    }
    # A disagreement, resolved by a third officer, can no longer be taken back.
    disputed = _post(rex, f"{base}/second", {"action": key, "category": "C"}).json()
    assert disputed["state"] == "disputed"
    settled = rex.get(f"{base}/actions").json()["settled"]
    assert settled[0]["files"][0]["name"] == files[0]["name"]
    assignments.assign(site.store, "rita", CASE, "test")
    rita = site.client("rita")
    assert _post(rita, f"{base}/resolve", {"action": key, "category": "A"}).status_code == 200
    refused = _post(rex, f"{base}/second/undo")
    assert refused.status_code == 409 and "already resolved by rita" in refused.json()["detail"]
    with site.store.connect() as conn:
        actions = [e.action for e in entries(conn, case_scope(site.case_id))]
    assert actions[-5:] == [
        "grade.second",
        "grade.second.undo",
        "grade.second",
        "case.assign",
        "grade.resolve",
    ]
