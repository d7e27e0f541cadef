"""The case explorer page and its CSV export: access, filters, paging, audit, inert output."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import select
from web_helpers import Site

from vigil.audit import case_scope, entries
from vigil.store.schema import item

Clients = Callable[[str | None], TestClient]


def _csrf(page: str) -> str:
    found = re.findall(r'name="csrf_token" value="([^"]+)"', page)
    assert found
    return found[-1]


def test_an_assigned_officer_sees_every_item_a_page_at_a_time(
    sqlite_site: Site, client_for: Clients
) -> None:
    client = client_for("eve")
    page = client.get(f"/cases/{sqlite_site.case_id}/items?per_page=25")
    assert page.status_code == 200
    with sqlite_site.store.connect() as conn:
        total = len(conn.execute(select(item.c.id)).all())
    assert f"{total} items match; page 1 of {-(-total // 25)}." in page.text
    assert page.text.count("<tr data-item=") == 25
    assert 'rel="next"' in page.text and 'rel="prev"' not in page.text
    last = client.get(f"/cases/{sqlite_site.case_id}/items?per_page=25&page=999")
    assert last.text.count("<tr data-item=") == total - 25 * (-(-total // 25) - 1)
    assert "<img" not in page.text  # nothing in it shows a picture


def test_filters_come_from_the_query_and_stay_in_the_pager(
    sqlite_site: Site, client_for: Clients
) -> None:
    client = client_for("eve")
    page = client.get(f"/cases/{sqlite_site.case_id}/items?text=camera_&per_page=25")
    assert "5 items match; page 1 of 1." in page.text
    assert page.text.count("<tr data-item=") == 5
    bad = client.get(f"/cases/{sqlite_site.case_id}/items?hash=12345")
    assert bad.status_code == 400
    assert "Hash: give a whole MD5, SHA-1 or SHA-256 in hex." in bad.text
    bad_date = client.get(f"/cases/{sqlite_site.case_id}/items?modified_from=yesterday")
    assert bad_date.status_code == 400 and "Modified from: a date as YYYY-MM-DD." in bad_date.text
    many = client.get(f"/cases/{sqlite_site.case_id}/items?order=desc&per_page=25&sort=name")
    next_link = re.search(r'href="\?([^"]+)" rel="next"', many.text)
    assert next_link is not None
    assert "order=desc" in next_link.group(1) and "sort=name" in next_link.group(1)


def test_a_case_not_assigned_is_not_disclosed(sqlite_site: Site, client_for: Clients) -> None:
    assert client_for("ed").get(f"/cases/{sqlite_site.case_id}/items").status_code == 404
    assert client_for(None).get(f"/cases/{sqlite_site.case_id}/items").status_code in (303, 401)


def test_export_holds_every_matching_item_and_is_audited(
    sqlite_site: Site, client_for: Clients
) -> None:
    client = client_for("eve")
    url = f"/cases/{sqlite_site.case_id}/items"
    for values in ({"per_page": "25"}, {"text": ".jpg", "per_page": "25"}):
        page = client.get(url, params=values)
        shown = int(re.search(r"(\d+) items match", page.text).group(1))  # type: ignore[union-attr]
        response = client.post(f"{url}/export", data={"csrf_token": _csrf(page.text), **values})
        assert response.status_code == 200
        disposition = response.headers["content-disposition"]
        assert disposition == 'attachment; filename="op-demo-items.csv"'
        rows = list(csv.DictReader(io.StringIO(response.text)))
        assert len(rows) == shown  # every match, not only the page shown
        assert all(values.get("text", "") in r["path"].lower() for r in rows)
        with sqlite_site.store.connect() as conn:
            last = list(entries(conn, case_scope(sqlite_site.case_id)))[-1]
        assert (last.actor, last.action) == ("eve", "items.export")
        wanted = {k: v for k, v in values.items() if k == "text"}
        assert last.detail == {"format": "csv", "rows": shown, "filter": wanted}
    assert shown < len(rows_all := list(csv.DictReader(io.StringIO(first_export(client, url)))))
    assert len(rows_all) > 25


def first_export(client: TestClient, url: str) -> str:
    """The export of every item (no filter)."""
    page = client.get(url)
    return client.post(f"{url}/export", data={"csrf_token": _csrf(page.text)}).text


def test_export_without_the_form_token_is_refused(sqlite_site: Site, client_for: Clients) -> None:
    response = client_for("eve").post(f"/cases/{sqlite_site.case_id}/items/export", data={})
    assert response.status_code == 403


def test_selected_items_are_tagged_filtered_exported_and_untagged(
    sqlite_site: Site, client_for: Clients
) -> None:
    client = client_for("eve")
    url = f"/cases/{sqlite_site.case_id}/items"
    page = client.get(url, params={"text": "camera_"})
    ids = re.findall(r'name="item" value="(\d+)" form="selection"', page.text)
    assert len(ids) == 5
    token = _csrf(page.text)
    tagged = client.post(
        f"{url}/tag",
        data={"csrf_token": token, "item": ids[:2], "new_tag": "Look again", "action": "add",
              "text": "camera_"},
    )  # fmt: skip
    assert tagged.status_code == 303 and tagged.headers["location"] == f"{url}?text=camera_"
    shown = client.get(url, params={"tag": "Look again"})
    assert "2 items match; page 1 of 1." in shown.text
    assert '<option value="Look again">Look again (2)</option>' in shown.text
    export = client.post(f"{url}/export", data={"csrf_token": token, "item": ids[1:4]})
    assert len(list(csv.DictReader(io.StringIO(export.text)))) == 3
    with sqlite_site.store.connect() as conn:
        last = list(entries(conn, case_scope(sqlite_site.case_id)))[-1]
    assert last.detail == {"format": "csv", "rows": 3, "filter": {"selected": 3}}
    client.post(
        f"{url}/tag",
        data={"csrf_token": token, "item": ids, "new_tag": "Look again", "action": "remove"},
    )
    assert "0 items match" in client.get(url, params={"tag": "Look again"}).text
    refused = client.post(
        f"{url}/tag", data={"csrf_token": token, "item": ["x"], "new_tag": "t", "action": "add"}
    )
    assert refused.status_code == 400 and "selection: item numbers only" in refused.text


def test_a_note_is_shown_inert_on_the_case_page(sqlite_site: Site, client_for: Clients) -> None:
    client = client_for("eve")
    case_url = f"/cases/{sqlite_site.case_id}"
    page = client.get(case_url)
    response = client.post(
        f"{case_url}/notes",
        data={"csrf_token": _csrf(page.text), "body": "<b>seen</b> on the stick"},
    )
    assert response.status_code == 303 and response.headers["location"] == f"{case_url}#notes"
    shown = client.get(case_url).text
    assert "&lt;b&gt;seen&lt;/b&gt; on the stick" in shown and "<b>seen</b>" not in shown
    assert "eve, " in shown
    other = client_for("ed").post(
        f"{case_url}/notes", data={"csrf_token": _csrf(client_for("ed").get("/cases").text),
                                   "body": "x"},
    )  # fmt: skip
    assert other.status_code == 404
