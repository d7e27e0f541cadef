"""Plain words for stored tokens: every audit action Vigil writes has a label, and the
audit page shows the label with the raw token one click away."""

from __future__ import annotations

import re
from pathlib import Path

from web_helpers import Site

import vigil
from vigil.web import labels

SRC = Path(vigil.__file__).parent
_APPEND = re.compile(r"\bappend\(\s*conn,\s*[^,]+,\s*[^,]+,\s*\"([a-z_.]+)\"", re.S)


def _written_actions() -> set[str]:
    found: set[str] = set()
    for path in SRC.rglob("*.py"):
        found.update(_APPEND.findall(path.read_text(encoding="utf-8")))
    return found


def test_every_audit_action_in_the_source_has_a_label() -> None:
    written = _written_actions()
    assert {"grade", "grade.second.undo", "hashset.remove", "user.settings"} <= written
    assert sorted(written - set(labels.AUDIT_ACTIONS)) == []


def test_labels_and_detail_in_words() -> None:
    assert labels.label("not_indecent") == "Not indecent"
    assert labels.label("grade.undo") == "Grade taken back"
    assert labels.label("something_new") == "Something new"
    summary = labels.detail_summary({"first": "A", "second": "not_indecent", "agree": False})
    assert summary == "First grade: Category A · Second grade: Not indecent · Agrees: no"
    assert labels.detail_summary({"md5": ["a", "b", "c", "d"]}) == "MD5s: 4"


def test_audit_page_shows_labels_with_raw_values_in_details(sqlite_site: Site) -> None:
    eve = sqlite_site.client("eve")
    page = eve.get(f"/cases/{sqlite_site.case_id}/audit", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "<summary>Officer assigned to the case</summary><code>case.assign</code>" in page.text
    assert "<summary>Scan started</summary>" in page.text
    assert "<td>case.assign</td>" not in page.text  # no bare token as the visible text
