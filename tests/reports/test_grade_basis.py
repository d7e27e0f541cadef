"""Grades made in review in the report, on SQLite and PostgreSQL.

``uncategorised`` is graded (report and queue agree), and the basis says
single-graded, agreed or resolved, with who graded and when.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import jsonschema
import pytest
import sqlalchemy as sa

from vigil.accounts.users import User
from vigil.cases.case import get_case
from vigil.cases.counting import case_item_counts, case_summary
from vigil.cli.summary_view import print_summary
from vigil.reports import Report, build_report
from vigil.reports.csv_report import write_csv_report
from vigil.reports.html import render_html
from vigil.reports.json_report import report_json, report_schema
from vigil.reports.vics_case import write_vics_case
from vigil.store.engine import Store
from vigil.store.schema import item
from vigil.web import grading
from vigil.web.grouping import ungraded_pictures

CASE = "OP-DEMO"
GRADED_SET = "force-graded"


def _user(name: str) -> User:
    now = datetime.now(UTC)
    return User(1, name, "examiner", False, 0, None, now)


def _unknown_ids(store: Store) -> list[int]:
    with store.connect() as conn:
        rows = conn.execute(
            sa.select(item.c.id, item.c.md5)
            .where(item.c.review == "unknown")
            .order_by(item.c.display)
        ).all()
    first: dict[bytes, int] = {}
    for r in rows:
        first.setdefault(r.md5, int(r.id))
    return list(first.values())


def _grade(store: Store, item_id: int, category: str, who: str) -> str:
    with store.begin() as conn:
        case_row = get_case(conn, CASE)
        action = grading.grade_items(
            conn, case_row, _user(who), [item_id], category, f"g{item_id}", GRADED_SET
        )
    return action.key


def _awaiting_in_queue(store: Store) -> int:
    with store.connect() as conn:
        case_id = int(get_case(conn, CASE).id)
        return sum(len(p.item_ids) for p in ungraded_pictures(conn, case_id))


def test_uncategorised_is_graded_so_report_and_queue_agree(demo_case: Store) -> None:
    before = case_summary(demo_case, CASE)
    with demo_case.connect() as conn:
        dated_before = sum(b.unknown for b in build_report(conn, CASE).timeline)
    assert before.unknown_images + before.unknown_videos == _awaiting_in_queue(demo_case) == 8
    _grade(demo_case, _unknown_ids(demo_case)[0], "uncategorised", "DC Ann")

    summary = case_summary(demo_case, CASE)
    awaiting = summary.unknown_images + summary.unknown_videos
    assert awaiting == _awaiting_in_queue(demo_case) == 7  # the report said 8 before the fix
    assert summary.unknown_unique == 7
    assert summary.graded == {"single": 1, "agreed": 0, "resolved": 0, "disputed": 0}
    with demo_case.connect() as conn:
        assert case_item_counts(conn, int(get_case(conn, CASE).id))[2] == 7
        report = build_report(conn, CASE)
    assert len(report.unknown) == 7
    [graded] = report.graded
    assert graded.grade is not None and graded.grade.category == "Uncategorised"
    assert graded.id not in {u.id for u in report.unknown}
    assert sum(b.unknown for b in report.timeline) == dated_before - 1  # the timeline agrees


def _three_grades(store: Store) -> Report:
    """One item single-graded, one agreed by a second grader, one resolved after a dispute."""
    single, agreed, resolved = _unknown_ids(store)[:3]
    _grade(store, single, "A", "DC Ann")
    agreed_key = _grade(store, agreed, "B", "DC Ann")
    resolved_key = _grade(store, resolved, "B", "DC Ann")
    with store.begin() as conn:
        case_row = get_case(conn, CASE)
        grading.second_grade(conn, case_row, _user("DC Bob"), agreed_key, "B")
        grading.second_grade(conn, case_row, _user("DC Bob"), resolved_key, "C")
        grading.resolve(conn, case_row, _user("DS Cat"), resolved_key, "C", GRADED_SET)
    with store.connect() as conn:
        return build_report(conn, CASE)


def test_basis_names_single_agreed_and_resolved_grades_with_graders(demo_case: Store) -> None:
    report = _three_grades(demo_case)
    assert report.summary.graded == {"single": 1, "agreed": 1, "resolved": 1, "disputed": 0}
    by_state = {g.grade.state: g.grade for g in report.graded if g.grade is not None}
    assert set(by_state) == {"single", "agreed", "resolved"}
    assert (by_state["single"].graded_by, by_state["single"].second_by) == ("DC Ann", None)
    assert (by_state["agreed"].second_by, by_state["agreed"].category) == ("DC Bob", "Category B")
    resolved = by_state["resolved"]
    assert (resolved.first_category, resolved.second_category) == ("Category B", "Category C")
    assert (resolved.resolved_by, resolved.category) == ("DS Cat", "Category C")
    assert resolved.graded_at.tzinfo is not None and resolved.resolved_at is not None
    # The hits graded in review carry their grade too.
    graded_hits = [h for h in report.hits if h.basis == "graded"]
    assert len(graded_hits) >= 3 and all(h.grade is not None for h in graded_hits)


def test_json_csv_and_html_show_the_grades(demo_case: Store) -> None:
    report = _three_grades(demo_case)
    data = json.loads(json.dumps(report_json(report)))
    jsonschema.Draft202012Validator(report_schema()).validate(data)
    states = sorted(g["grade"]["state"] for g in data["graded"])
    assert states == ["agreed", "resolved", "single"]
    assert data["summary"]["graded"]["resolved"] == 1

    out = io.StringIO(newline="")
    write_csv_report(report, out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue(), newline="")))
    resolved = [r for r in rows if r["grade_state"] == "resolved"]
    assert resolved and all(r["resolved_by"] == "DS Cat" for r in resolved)
    assert all(r["graded_by"] == "DC Ann" and r["graded_at"].endswith("Z") for r in resolved)
    assert {r["second_by"] for r in rows if r["grade_state"] == "agreed"} == {"DC Bob"}

    html = render_html(report)
    assert 'id="grades-table"' in html
    assert (
        '<tr data-state="agreed"><th scope="row">Agreed (two graders)</th><td class="n">1</td>'
        in html
    )
    for name in ("DC Ann", "DC Bob", "DS Cat"):
        assert name in html


def test_uncategorised_grade_appears_as_a_graded_row_in_the_csv(demo_case: Store) -> None:
    _grade(demo_case, _unknown_ids(demo_case)[0], "uncategorised", "DC Ann")
    with demo_case.connect() as conn:
        report = build_report(conn, CASE)
    out = io.StringIO(newline="")
    write_csv_report(report, out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue(), newline="")))
    [graded] = [r for r in rows if r["kind"] == "graded"]
    assert (graded["grade_category"], graded["grade_state"]) == ("Uncategorised", "single")
    assert sum(r["kind"] == "unknown" for r in rows) == 7


def test_case_show_says_how_grades_were_settled(
    demo_case: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    _three_grades(demo_case)
    print_summary(case_summary(demo_case, CASE))
    out = capsys.readouterr().out
    assert "Graded in review" in out and "single 1, agreed 1, resolved 1" in out


def test_uncategorised_media_still_go_out_in_the_vics_export(demo_case: Store) -> None:
    with demo_case.connect() as conn:
        before = io.StringIO()
        write_vics_case(build_report(conn, CASE), before)
    _grade(demo_case, _unknown_ids(demo_case)[0], "uncategorised", "DC Ann")
    with demo_case.connect() as conn:
        after = io.StringIO()
        write_vics_case(build_report(conn, CASE), after)
    media = json.loads(after.getvalue())["value"][0]["Media"]
    assert len(media) == len(json.loads(before.getvalue())["value"][0]["Media"])
