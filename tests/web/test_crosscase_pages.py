"""Linked cases panel, the store-wide link graph, trends and the trends' k in the review app.

The demo evidence is scanned into a second case (``op-other``, ed's), so every
media item links the two; eve works on op-demo only.
"""

from __future__ import annotations

import re

import pytest
from web_helpers import CASE, Site, csrf_of

from vigil.accounts import assignments
from vigil.crosscase.first_seen import new_material
from vigil.scan.pipeline import ScanOptions, run_scan
from vigil.store.schema import case

OTHER = "op-other"


@pytest.fixture
def linked(site: Site) -> tuple[Site, int]:
    """The demo site with op-other scanned from the same evidence (by a finished scan)."""
    run_scan(site.store, [site.demo.evidence], ScanOptions(case=OTHER, workers=1))
    assignments.assign(site.store, "ed", OTHER, "test-setup")
    with site.store.connect() as conn:
        other_id = int(conn.execute(case.select().where(case.c.name == OTHER)).one().id)
    return site, other_id


def test_the_panel_names_an_unassigned_linked_case_and_its_owner_not_its_content(
    linked: tuple[Site, int],
) -> None:
    site, other_id = linked
    eve = site.client("eve")
    page = eve.get(f"/cases/{site.case_id}")
    assert page.status_code == 200
    panel = page.text[page.text.index('id="linked-cases"') :]
    panel = panel[: panel.index("</section>")]
    assert OTHER in panel and "ed" in panel and "not assigned to you" in panel
    assert f'href="/cases/{other_id}"' not in panel
    assert re.search(r"<td>strong</td>", panel)
    assert eve.get(f"/cases/{other_id}").status_code == 404
    # ed, assigned to op-other, gets the way in from its page.
    assert f'href="/cases/{site.case_id}"' not in site.client("ed").get(f"/cases/{other_id}").text
    assert CASE in site.client("ed").get(f"/cases/{other_id}").text


def test_new_material_stays_with_the_case_that_saw_it_first(linked: tuple[Site, int]) -> None:
    site, other_id = linked
    with site.store.connect() as conn:
        first = new_material(conn, site.case_id)
        assert first and new_material(conn, other_id) == set()
    page = site.client("eve").get(f"/cases/{site.case_id}").text
    assert f'id="new-material">{len(first)}<' in page


def test_the_link_graph_shows_only_links_touching_the_users_cases(
    linked: tuple[Site, int],
) -> None:
    site, _ = linked
    for name in ("ada", "eve", "ed"):
        page = site.client(name).get("/links")
        assert page.status_code == 200
        assert "<svg" in page.text and 'class="link strong"' in page.text
        assert CASE in page.text and OTHER in page.text
    page = site.client("rita").get("/links").text
    assert 'id="no-links"' in page and OTHER not in page


def test_trends_page_suppresses_a_month_of_two_cases(linked: tuple[Site, int]) -> None:
    site, _ = linked
    page = site.client("eve").get("/trends")
    assert page.status_code == 200
    assert "suppressed (&lt;5 cases)" in page.text and "<svg" in page.text
    for secret in (CASE, OTHER, str(site.demo.evidence)):
        assert secret not in page.text.split("<main", 1)[1]
    assert site.client("eve").get("/trends?k=2").status_code == 400
    assert site.client("eve").get("/trends?by=week").status_code == 400


def test_only_an_admin_raises_k_and_never_lowers_it(linked: tuple[Site, int]) -> None:
    site, _ = linked
    ada = site.client("ada")
    token = csrf_of(ada)
    assert ada.post("/trends/min-cases", data={"k": 4, "csrf_token": token}).status_code == 400
    assert ada.post("/trends/min-cases", data={"k": 7, "csrf_token": token}).status_code == 303
    assert "at least 7 cases" in ada.get("/trends").text
    eve = site.client("eve")
    assert (
        eve.post("/trends/min-cases", data={"k": 9, "csrf_token": csrf_of(eve)}).status_code == 403
    )


def test_the_queue_puts_new_material_first(linked: tuple[Site, int]) -> None:
    site, other_id = linked
    for case_id, expect_new in ((site.case_id, True), (other_id, False)):
        who = "eve" if case_id == site.case_id else "ed"
        groups = site.client(who).get(f"/api/cases/{case_id}/queue").json()["groups"]
        assert groups
        flags = [g["new_material"] for g in groups]
        assert flags == sorted(flags, reverse=True)
        assert any(flags) is expect_new
