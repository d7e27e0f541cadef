"""Case pages: the report's numbers, hits, unknown media, findings and the audit log."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi.testclient import TestClient
from web_helpers import Site

from vigil.reports.gather import build_report


def _cell(html: str, table: str) -> list[str]:
    body = html.split(f'id="{table}"', 1)[1].split("</table>", 1)[0]
    return re.findall(r"<tr[ >]", body)


def test_case_page_shows_the_report_numbers(
    client_for: Callable[[str | None], TestClient], sqlite_site: Site
) -> None:
    html = client_for("eve").get(f"/cases/{sqlite_site.case_id}").text
    with sqlite_site.store.connect() as conn:
        report = build_report(conn, "op-demo")
    s = report.summary
    assert f'id="exact-total">{s.exact_total}<' in html
    assert f'id="unknown-media">{s.unknown_images} / {s.unknown_videos}<' in html
    for label in ("Category A", "Category B", "Category C"):
        assert f'data-category="{label}"' in html
    assert len(_cell(html, "hits")) - 1 == len(report.hits)  # header row + one per hit
    assert len(_cell(html, "unknown")) - 1 == len(report.unknown) == 8
    assert "camera_100.jpg" in html
    assert "<img" not in html  # no picture on a case page
    assert "Chain intact" in html


def test_case_list_shows_only_assigned_cases(
    client_for: Callable[[str | None], TestClient], sqlite_site: Site
) -> None:
    assert "op-demo" in client_for("eve").get("/cases").text
    assert "op-demo" in client_for("ada").get("/cases").text
    assert "op-demo" not in client_for("ed").get("/cases").text


def test_audit_page_lists_and_verifies_the_chain(
    client_for: Callable[[str | None], TestClient], sqlite_site: Site
) -> None:
    html = client_for("rex").get(f"/cases/{sqlite_site.case_id}/audit").text
    assert 'id="chain-state">Chain intact' in html
    assert 'data-action="case.assign"' in html


def test_my_exposure_page(client_for: Callable[[str | None], TestClient]) -> None:
    html = client_for("eve").get("/me").text
    assert 'id="days"' in html and html.count("<tr>") >= 14


def test_queue_is_sent_a_page_at_a_time(
    client_for: Callable[[str | None], TestClient], sqlite_site: Site
) -> None:
    eve = client_for("eve")
    whole = eve.get(f"/api/cases/{sqlite_site.case_id}/queue").json()
    page = eve.get(f"/api/cases/{sqlite_site.case_id}/queue?limit=3").json()
    assert len(page["groups"]) == 3 and page["groups"] == whole["groups"][:3]
    assert page["total_groups"] == whole["total_groups"] == len(whole["groups"])
    assert page["total_items"] == whole["total_items"]
    assert eve.get(f"/api/cases/{sqlite_site.case_id}/queue?limit=0").status_code == 422
