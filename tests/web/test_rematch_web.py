"""The case page's re-match: the difference on a page of its own, applied only by its form."""

from __future__ import annotations

import re

import sqlalchemy as sa
from web_helpers import CASE, Site, csrf_of

from vigil.audit import case_scope, entries
from vigil.hashsets import library
from vigil.store.schema import result_revision


def _numbers(site: Site) -> list[int]:
    with site.store.connect() as conn:
        rows = conn.execute(sa.select(result_revision.c.number).distinct()).scalars().all()
    return sorted(int(n) for n in rows)


def _diff_row(html: str, label: str) -> tuple[int, int]:
    cells = r'\s*<td class="n">(\d+)</td><td class="n">(\d+)</td>'
    found = re.search(rf'data-label="{label}"[^>]*><th>{label}</th>{cells}', html)
    assert found, html
    return int(found.group(1)), int(found.group(2))


def test_difference_is_shown_then_applied_by_the_form(site: Site) -> None:
    library.remove_set(site.store, "demo-vics")
    eve = site.client("eve")
    case_page = eve.get(f"/cases/{site.case_id}").text
    assert 'id="rematch-link"' in case_page and "revision 1 of 1" in case_page
    page = eve.get(f"/cases/{site.case_id}/rematch")
    assert page.status_code == 200
    assert _diff_row(page.text, "Category A") == (2, 0)
    assert _diff_row(page.text, "Category C") == (3, 0)
    assert "Make revision 2" in page.text
    assert _numbers(site) == [1]  # looking changes nothing
    fingerprint = re.search(r'name="fingerprint" value="([0-9a-f]+)"', page.text)
    assert fingerprint
    # No CSRF token, no change.
    refused = eve.post(f"/cases/{site.case_id}/rematch", data={"fingerprint": fingerprint[1]})
    assert refused.status_code == 403 and _numbers(site) == [1]
    done = eve.post(
        f"/cases/{site.case_id}/rematch",
        data={"fingerprint": fingerprint[1], "csrf_token": csrf_of(eve)},
    )
    assert done.status_code == 303
    assert done.headers["location"] == f"/cases/{site.case_id}?rematched=2"
    assert _numbers(site) == [1, 2]
    after = eve.get(done.headers["location"]).text
    assert 'id="rematched"' in after and "revision 2 of 2" in after
    assert 'data-category="Category A"' not in after
    with site.store.connect() as conn:
        case_id = site.case_id
        audited = [e for e in entries(conn, case_scope(case_id)) if e.action == "case.rematch"]
    assert [(e.actor, e.target) for e in audited] == [("eve", CASE)]


def test_a_stale_difference_is_not_applied(site: Site) -> None:
    eve = site.client("eve")
    page = eve.get(f"/cases/{site.case_id}/rematch").text
    assert 'id="rematch-same"' in page  # nothing changed in the library yet
    fingerprint = re.search(r'name="fingerprint" value="([0-9a-f]+)"', page)
    assert fingerprint
    library.remove_set(site.store, "demo-vics")
    stale = eve.post(
        f"/cases/{site.case_id}/rematch",
        data={"fingerprint": fingerprint[1], "csrf_token": csrf_of(eve)},
    )
    assert stale.status_code == 409
    assert "changed since the difference was shown" in stale.text
    assert _diff_row(stale.text, "Category A") == (2, 0)  # the new difference, to look at again
    assert _numbers(site) == [1]


def test_reviewers_neither_see_nor_use_the_rematch(site: Site) -> None:
    rex = site.client("rex")
    assert 'id="rematch-link"' not in rex.get(f"/cases/{site.case_id}").text
    assert rex.get(f"/cases/{site.case_id}/rematch").status_code == 403
