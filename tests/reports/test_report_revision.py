"""Every report format names the revision of the results it shows and the set versions used."""

from __future__ import annotations

import csv
import io

import jsonschema

from vigil.cases import rematch
from vigil.hashsets import library
from vigil.reports import build_report
from vigil.reports.csv_report import write_csv_report
from vigil.reports.html import render_html
from vigil.reports.json_report import report_json, report_schema
from vigil.store.engine import Store

CASE = "OP-DEMO"


def test_html_json_and_csv_state_revision_and_set_versions(demo_case: Store) -> None:
    library.remove_set(demo_case, "demo-vics")
    rematch.apply(demo_case, CASE, "DC Test")
    with demo_case.connect() as conn:
        first = build_report(conn, CASE, revision=1)
        latest = build_report(conn, CASE)
    assert (first.revision.number, first.revision.latest, first.revision.kind) == (1, 2, "scan")
    assert (latest.revision.number, latest.revision.kind) == (2, "rematch")
    assert latest.revision.created_by == "DC Test"

    html = render_html(first)
    assert 'id="results-revision">revision 1 of 2<' in html
    assert "demo-vics" in html  # the set it was matched against, removed since
    assert "This report shows revision 1 of" in html and "the newest is revision 2" in html

    data = report_json(first)
    jsonschema.Draft202012Validator(report_schema()).validate(data)
    assert data["revision"]["number"] == 1
    [vics] = [h for h in data["hashsets"] if h["name"] == "demo-vics"]
    assert vics["set_revision"] == 1 and vics["run_id"] is not None
    jsonschema.Draft202012Validator(report_schema()).validate(report_json(latest))
    assert [h["name"] for h in report_json(latest)["hashsets"]] == ["demo-known-good"]

    out = io.StringIO()
    write_csv_report(first, out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    hits = [r for r in rows if r["kind"] == "hit"]
    assert hits and {r["result_revision"] for r in rows} == {"1"}
    assert {r["hashset"] for r in hits} == {"demo-vics"}
    assert {r["hashset_revision"] for r in hits} == {"1"}
