"""The new-material flag reaches the report: JSON, CSV and HTML (both databases)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import jsonschema
from crosscase_builders import T0, CaseSpec, Media, add_case, md5_of, random_pdq

from vigil.reports.csv_report import write_csv_report
from vigil.reports.gather import build_report
from vigil.reports.html import render_html
from vigil.reports.json_report import report_json, report_schema
from vigil.store.engine import Store


def _two_cases(store: Store) -> None:
    """op-a first holds MD5s 2 and 3 (unknown); op-b later holds 2 again and 5 (unknown)."""
    add_case(
        store,
        CaseSpec(
            "op-a",
            [Media(md5_of(1), random_pdq(1), category="A"), Media(md5_of(2), random_pdq(2))],
            when=T0,
        ),
    )
    add_case(
        store,
        CaseSpec(
            "op-b",
            [Media(md5_of(2), random_pdq(2)), Media(md5_of(5), random_pdq(5))],
            when=T0 + timedelta(days=1),
        ),
    )


def test_only_material_no_earlier_case_held_is_flagged(store: Store) -> None:
    _two_cases(store)
    with store.connect() as conn:
        first = build_report(conn, "op-a", user="DC Test")
        later = build_report(conn, "op-b", user="DC Test")
    assert {u.md5: u.new_material for u in first.unknown} == {md5_of(2).hex(): True}
    assert [(u.md5, u.new_material) for u in later.unknown] == [
        (md5_of(5).hex(), True),  # listed first
        (md5_of(2).hex(), False),  # op-a saw it first
    ]
    assert all(not h.new_material for h in first.hits)
    assert (first.new_material, later.new_material) == (1, 1)
    assert not [n for n in later.notes if "new material" in n]  # notes are about the figures


def test_json_csv_and_html_carry_the_flag(store: Store) -> None:
    _two_cases(store)
    with store.connect() as conn:
        report = build_report(conn, "op-b", user="DC Test")
    data = report_json(report)
    jsonschema.Draft202012Validator(report_schema()).validate(data)
    assert {u["md5"]: u["new_material"] for u in data["unknown"]} == {
        md5_of(5).hex(): True,
        md5_of(2).hex(): False,
    }
    out = io.StringIO()
    write_csv_report(report, out)
    rows = [r for r in csv.DictReader(io.StringIO(out.getvalue())) if r["kind"] == "unknown"]
    assert {r["md5"]: r["new_material"] for r in rows} == {
        md5_of(5).hex(): "yes",
        md5_of(2).hex(): "no",
    }
    html = render_html(report)
    assert html.count('class="new-material"') == 1
    assert "<strong>Yes</strong> — possible unidentified victim" in html
    assert '<p class="warning" id="new-material">1 of them is <strong>new material' in html
    assert data["new_material"] == 1


def test_no_summary_means_no_flag_and_no_note(store: Store) -> None:
    add_case(store, CaseSpec("op-c", [Media(md5_of(7), random_pdq(7))]), refresh=False)
    with store.connect() as conn:
        report = build_report(conn, "op-c", user="DC Test")
    assert [u.new_material for u in report.unknown] == [False]
    assert report.new_material == 0 and 'id="new-material"' not in render_html(report)
