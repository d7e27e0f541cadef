"""Grading integrity: a second grader never sees a first grade before giving their own, and a
disagreement is settled by a third officer (or, on a small team's setting, audited as such)."""

from __future__ import annotations

import html
import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from web_helpers import CASE, Site, csrf_of, make_site

from vigil.accounts import assignments
from vigil.audit import case_scope, entries
from vigil.store.engine import Store
from vigil.store.schema import hash_entry, hashset
from vigil.web import grading


@pytest.fixture
def site(store: Store, tmp_path: Path) -> Site:
    """The demo site (eve examines, rex reviews) with rita as a third officer, on each database."""
    made = make_site(store, tmp_path)
    assignments.assign(store, "rita", CASE, "test-setup")
    return made


def _post(client: TestClient, url: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(url, json=body, headers={"X-CSRF-Token": csrf_of(client)})


def _grade_first_group(site: Site, category: str) -> dict[str, Any]:
    eve = site.client("eve")
    group = eve.get(f"/api/cases/{site.case_id}/queue").json()["groups"][0]
    body = {"group": group["key"], "item_ids": group["item_ids"], "category": category}
    assert _post(eve, f"/api/cases/{site.case_id}/grade", body).status_code == 200
    return dict(group)


def _grade_details(client: TestClient, site: Site) -> list[dict[str, Any]]:
    """The raw detail (one click away) of every grade and grade.undo row of the audit page."""
    page = client.get(f"/cases/{site.case_id}/audit")
    assert page.status_code == 200
    rows = re.findall(
        r'<tr data-action="(grade(?:\.undo)?)">.*?<code class="detail">(.*?)</code>',
        page.text,
        re.S,
    )
    return [json.loads(html.unescape(detail)) for _, detail in rows]


def _graded_line(client: TestClient, site: Site) -> str:
    page = client.get(f"/cases/{site.case_id}").text
    found = re.search(r'<p id="graded">(.*?)</p>', page, re.S)
    return found.group(1) if found else ""


def _hits_from_review(client: TestClient, site: Site) -> int:
    """Rows of the case page's hits table that rest on the graded set (a first grade)."""
    page = client.get(f"/cases/{site.case_id}").text
    table = page.split('id="hits"', 1)[1].split("</table>", 1)[0]
    return table.count(site.settings.graded_set)


def test_first_grade_is_hidden_from_the_second_grader_on_every_page(site: Site) -> None:
    _grade_first_group(site, "C")
    eve, rex = site.client("eve"), site.client("rex")
    # The first grader (and any examiner) sees the grade everywhere.
    assert [d["category"] for d in _grade_details(eve, site)] == ["C"]
    assert "C 1" in _graded_line(eve, site)
    assert _hits_from_review(eve, site) == 1
    # The reviewer, who has yet to grade it, sees it nowhere.
    assert [d["category"] for d in _grade_details(rex, site)] == [
        "hidden until you have given your own grade"
    ]
    assert _graded_line(rex, site) == ""
    assert _hits_from_review(rex, site) == 0
    case_page = rex.get(f"/cases/{site.case_id}").text
    assert "1 graded item awaits a second grade" in case_page
    view = rex.get(f"/api/cases/{site.case_id}/actions").json()
    assert [a["category"] for a in view["awaiting"]] == [None]
    assert view["settled"] == []
    # Once rex has graded it, the first grade is shown to him too.
    key = view["awaiting"][0]["key"]
    done = _post(rex, f"/api/cases/{site.case_id}/second", {"action": key, "category": "C"})
    assert done.json()["state"] == "agreed" and done.json()["category"] == "C"
    assert [d["category"] for d in _grade_details(rex, site)] == ["C"]
    assert "C 1" in _graded_line(rex, site)
    assert _hits_from_review(rex, site) == 1


def test_a_grade_taken_back_and_made_again_stays_hidden(site: Site) -> None:
    group = _grade_first_group(site, "B")
    eve, rex = site.client("eve"), site.client("rex")
    assert _post(eve, f"/api/cases/{site.case_id}/undo").json()["category"] == "B"
    body = {"group": group["key"], "item_ids": group["item_ids"], "category": "B"}
    assert _post(eve, f"/api/cases/{site.case_id}/grade", body).status_code == 200
    shown = _grade_details(rex, site)
    assert len(shown) == 3  # grade, undo, grade again
    assert {d["category"] for d in shown} == {"hidden until you have given your own grade"}
    assert {d["category"] for d in _grade_details(eve, site)} == {"B"}


def _dispute(site: Site) -> str:
    _grade_first_group(site, "A")
    rex = site.client("rex")
    key = rex.get(f"/api/cases/{site.case_id}/actions").json()["awaiting"][0]["key"]
    done = _post(rex, f"/api/cases/{site.case_id}/second", {"action": key, "category": "C"})
    assert done.json()["state"] == "disputed"
    return str(key)


def _graded_set(site: Site) -> list[str]:
    with site.store.connect() as conn:
        return list(
            conn.execute(
                sa.select(hash_entry.c.category)
                .join(hashset, hashset.c.id == hash_entry.c.hashset_id)
                .where(hashset.c.name == site.settings.graded_set)
            ).scalars()
        )


def _resolve_entries(site: Site) -> list[dict[str, Any]]:
    with site.store.connect() as conn:
        return [
            dict(e.detail or {})
            for e in entries(conn, case_scope(site.case_id))
            if e.action == "grade.resolve"
        ]


def test_the_disagreeing_grader_cannot_resolve_alone(site: Site) -> None:
    key = _dispute(site)
    rex, rita = site.client("rex"), site.client("rita")
    disputed = rex.get(f"/api/cases/{site.case_id}/actions").json()["settled"]
    assert [a["may_resolve"] for a in disputed] == [False]
    refused = _post(rex, f"/api/cases/{site.case_id}/resolve", {"action": key, "category": "C"})
    assert refused.status_code == 409 and "third officer" in refused.json()["detail"]
    assert _graded_set(site) == ["A"]  # the first grade stands until resolved
    assert _resolve_entries(site) == []
    assert [
        a["may_resolve"] for a in rita.get(f"/api/cases/{site.case_id}/actions").json()["settled"]
    ] == [True]
    done = _post(rita, f"/api/cases/{site.case_id}/resolve", {"action": key, "category": "C"})
    assert done.status_code == 200 and done.json()["resolved_by"] == "rita"
    assert _graded_set(site) == ["C"]
    [entry] = _resolve_entries(site)
    assert entry["resolver"] == grading.RESOLVER_THIRD
    assert entry["graders"] == ["eve", "rex"] and entry["final"] == "C"


def test_a_small_team_may_let_a_grader_resolve_and_it_is_audited(site: Site) -> None:
    small = replace(site, settings=replace(site.settings, allow_grader_resolve=True))
    key = _dispute(small)
    rex = small.client("rex")
    assert "either grader may resolve" in rex.get(f"/cases/{site.case_id}/second").text
    assert "third officer" in site.client("rex").get(f"/cases/{site.case_id}/second").text
    assert [
        a["may_resolve"] for a in rex.get(f"/api/cases/{site.case_id}/actions").json()["settled"]
    ] == [True]
    done = _post(rex, f"/api/cases/{site.case_id}/resolve", {"action": key, "category": "C"})
    assert done.status_code == 200 and done.json()["resolved_by"] == "rex"
    [entry] = _resolve_entries(small)
    assert entry["resolver"] == grading.RESOLVER_GRADER


@pytest.mark.parametrize(("flag", "allowed"), [([], False), (["--allow-grader-resolve"], True)])
def test_serve_passes_the_small_team_setting(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, flag: list[str], allowed: bool
) -> None:
    import uvicorn

    from vigil.cli.main import run

    served: list[Any] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: served.append(app))
    monkeypatch.setenv("VIGIL_DATABASE_URL", f"sqlite:///{tmp_path / 'serve.db'}")
    assert run(["serve", *flag]) == 0
    assert served[0].state.settings.allow_grader_resolve is allowed
