"""``vigil scan --exhibit/--rescan`` and ``vigil exhibit list|show|edit`` through the CLI."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from vigil.cli.exit_codes import ExitCode
from vigil.cli.main import run
from vigil.demo.evidence import DemoLayout, build_demo
from vigil.hashsets import library
from vigil.store.engine import open_store

CASE = "OP-EXHIBIT-CLI"


@pytest.fixture
def demo(db_url: str, tmp_path: Path) -> Iterator[tuple[str, DemoLayout]]:
    """A database URL holding the demo sets, and the demo files."""
    layout = build_demo(tmp_path / "demo")
    store = open_store(db_url)
    try:
        library.import_file(store, layout.vics, "demo-vics")
    finally:
        store.close()
    yield db_url, layout


def _vigil(db: str, *argv: str) -> int:
    return run(["--db", db, *argv])


def _json(db: str, capsys: pytest.CaptureFixture[str], *argv: str) -> object:
    capsys.readouterr()
    assert _vigil(db, *argv, "--json") == ExitCode.OK
    return json.loads(capsys.readouterr().out)


def _scan(db: str, path: Path, *extra: str) -> int:
    return _vigil(db, "scan", str(path), "--case", CASE, "--workers", "1", *extra)


def test_second_scan_is_a_user_error_naming_the_run(
    demo: tuple[str, DemoLayout], capsys: pytest.CaptureFixture[str]
) -> None:
    db, layout = demo
    assert _scan(db, layout.evidence, "--exhibit", "JS/1", "--json") == ExitCode.OK
    capsys.readouterr()
    assert _scan(db, layout.evidence) == ExitCode.USAGE
    err = capsys.readouterr().err.strip()
    assert err.startswith("vigil: error: ") and len(err.splitlines()) == 1
    assert "exhibit JS/1 of case OP-EXHIBIT-CLI" in err and "run 1" in err
    assert "--rescan" in err and "Traceback" not in err


def test_rescan_totals_equal_one_scan(
    demo: tuple[str, DemoLayout], capsys: pytest.CaptureFixture[str]
) -> None:
    db, layout = demo
    once = _json(db, capsys, "scan", str(layout.evidence), "--case", CASE, "--workers", "1")
    again = _json(
        db, capsys, "scan", str(layout.evidence), "--case", CASE, "--workers", "1", "--rescan"
    )
    assert isinstance(once, dict) and isinstance(again, dict)
    category_a = once["categories"]["Category A"]["total"]["instances"]
    assert category_a > 0
    assert again["categories"]["Category A"]["total"]["instances"] == category_a
    assert again["categories"] == once["categories"] and again["items"] == once["items"]
    assert len(again["runs"]) == 2


def test_list_show_edit(demo: tuple[str, DemoLayout], capsys: pytest.CaptureFixture[str]) -> None:
    db, layout = demo
    argv = ("--exhibit", "JS/1", "--description", "Laptop", "--seized-on", "2026-01-03")
    assert _scan(db, layout.evidence, *argv, "--json") == ExitCode.OK
    assert _scan(db, layout.evidence, "--rescan", "--json") == ExitCode.OK
    listed = _json(db, capsys, "exhibit", "list", "--case", CASE)
    assert isinstance(listed, list)
    assert [(e["reference"], e["description"], e["counted_run"]) for e in listed] == [
        ("JS/1", "Laptop", 2)
    ]
    shown = _json(db, capsys, "exhibit", "show", "JS/1", "--case", CASE)
    assert isinstance(shown, dict) and shown["seized_when"] == "2026-01-03"
    assert [(r["run_id"], r["counted"]) for r in shown["runs"]] == [(1, False), (2, True)]
    capsys.readouterr()
    assert _vigil(db, "exhibit", "show", "JS/1", "--case", CASE) == ExitCode.OK
    out = capsys.readouterr().out
    assert "superseded" in out and "Laptop" in out
    edited = _json(
        db, capsys, "exhibit", "edit", "JS/1", "--case", CASE, "--reference", "JS/2",
        "--seized-at", "12 High St",
    )  # fmt: skip
    assert isinstance(edited, dict) and (edited["reference"], edited["seized_at"]) == (
        "JS/2",
        "12 High St",
    )
    audit = _json(db, capsys, "audit", "show", CASE)
    assert isinstance(audit, list)
    actions = [e["action"] for e in audit]
    assert {"exhibit.create", "exhibit.rescan", "exhibit.edit"} <= set(actions)


def test_edit_without_changes_and_unknown_exhibit_are_one_line_errors(
    demo: tuple[str, DemoLayout], capsys: pytest.CaptureFixture[str]
) -> None:
    db, layout = demo
    assert _scan(db, layout.evidence, "--json") == ExitCode.OK
    capsys.readouterr()
    assert _vigil(db, "exhibit", "edit", "Exhibit 1", "--case", CASE) == ExitCode.USAGE
    assert "give what to change" in capsys.readouterr().err
    assert _vigil(db, "exhibit", "show", "JS/9", "--case", CASE) == ExitCode.FAILURE
    assert "known: Exhibit 1" in capsys.readouterr().err


def test_resume_takes_no_exhibit_options(
    demo: tuple[str, DemoLayout], capsys: pytest.CaptureFixture[str]
) -> None:
    db, _ = demo
    argv = ("scan", "--resume", "--case", CASE, "--rescan")
    assert _vigil(db, *argv) == ExitCode.USAGE
    assert "--resume continues the unfinished run" in capsys.readouterr().err


def test_reports_print_the_reference(
    demo: tuple[str, DemoLayout], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db, layout = demo
    assert _scan(db, layout.evidence, "--exhibit", "JS/1", "--json") == ExitCode.OK
    single = tmp_path / "single.json"
    assert _vigil(db, "report", CASE, "--format", "json", "-o", str(single)) == ExitCode.OK
    assert _scan(db, layout.evidence, "--rescan", "--json") == ExitCode.OK
    outputs = {fmt: tmp_path / f"report.{fmt}" for fmt in ("csv", "json", "html", "vics")}
    for fmt, target in outputs.items():
        assert _vigil(db, "report", CASE, "--format", fmt, "-o", str(target)) == ExitCode.OK
    rows = list(csv.DictReader(io.StringIO(outputs["csv"].read_text(encoding="utf-8"))))
    assert rows and {r["exhibit"] for r in rows} == {"JS/1"}
    report = json.loads(outputs["json"].read_text(encoding="utf-8"))
    before = json.loads(single.read_text(encoding="utf-8"))
    [exhibit] = report["exhibits"]
    assert (exhibit["label"], exhibit["run_id"], exhibit["superseded_runs"]) == ("JS/1", 2, [1])
    assert {h["exhibit"] for h in report["hits"]} == {"JS/1"}
    assert len(report["hits"]) == len(before["hits"]) > 0
    assert len(report["unknown"]) == len(before["unknown"])
    assert any("superseded" in note for note in report["notes"])
    html = outputs["html"].read_text(encoding="utf-8")
    assert ">JS/1<" in html and "Exhibit 1" not in html
    vics = json.loads(outputs["vics"].read_text(encoding="utf-8"))
    assert _values(vics, "SourceID") == {"JS/1"}


def _values(node: object, key: str) -> set[object]:
    """Every value of ``key`` anywhere in a JSON document."""
    if isinstance(node, dict):
        found = {node[key]} if key in node else set()
        return found.union(*(_values(v, key) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_values(v, key) for v in node))
    return set()
