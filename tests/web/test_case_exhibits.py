"""The case page names exhibits by reference; a re-scan leaves the grading queue as it was."""

from __future__ import annotations

from web_helpers import Site

from vigil.cases.exhibits import ExhibitRequest
from vigil.scan.pipeline import ScanOptions, run_scan
from vigil.web import grouping


def _rescan(site: Site) -> int:
    options = ScanOptions(case="op-demo", workers=1, exhibits=ExhibitRequest(rescan=True))
    return run_scan(site.store, [site.demo.evidence], options).run_id


def test_case_page_lists_exhibits_and_uses_their_reference(site: Site) -> None:
    before = site.client("eve").get(f"/cases/{site.case_id}").text
    assert 'data-exhibit="Exhibit 1"' in before and "<td>Exhibit 1</td>" in before
    second = _rescan(site)
    html = site.client("eve").get(f"/cases/{site.case_id}").text
    row = html.split('data-exhibit="Exhibit 1"', 1)[1].split("</tr>", 1)[0]
    assert f"{second} (supersedes run 1)" in row
    assert "superseded and not counted" in html


def test_rescan_leaves_the_grading_queue_as_it_was(site: Site) -> None:
    with site.store.connect() as conn:
        before = grouping.ungraded_pictures(conn, site.case_id)
    _rescan(site)
    with site.store.connect() as conn:
        after = grouping.ungraded_pictures(conn, site.case_id)
    assert before and [(p.md5, len(p.item_ids)) for p in after] == [
        (p.md5, len(p.item_ids)) for p in before
    ]
    assert not {i for p in before for i in p.item_ids} & {i for p in after for i in p.item_ids}
