"""``vigil case rematch``: the difference first, --dry-run, --yes or a question, then revision 2."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from vigil.cli.exit_codes import ExitCode
from vigil.cli.main import run
from vigil.demo.evidence import build_demo
from vigil.hashsets import library
from vigil.scan.pipeline import ScanOptions, run_scan
from vigil.store.engine import open_store

CASE = "OP-REMATCH"


@pytest.fixture
def scanned(db_url: str, tmp_path: Path) -> Iterator[str]:
    """The demo case scanned against the demo set, which is then removed from the library."""
    layout = build_demo(tmp_path / "demo")
    store = open_store(db_url)
    try:
        library.import_file(store, layout.vics, "demo-vics")
        run_scan(store, [layout.evidence], ScanOptions(case=CASE, workers=1))
        library.remove_set(store, "demo-vics")
    finally:
        store.close()
    yield db_url


class _Terminal(io.StringIO):
    """Standard input that is a terminal, holding the answer typed at it."""

    def isatty(self) -> bool:
        return True


def _revision(db: str, capsys: pytest.CaptureFixture[str], *extra: str) -> dict[str, object]:
    capsys.readouterr()
    assert run(["--db", db, "report", CASE, "--format", "json", *extra]) == ExitCode.OK
    report: dict[str, object] = json.loads(capsys.readouterr().out)
    return report


def test_dry_run_shows_the_difference_and_changes_nothing(
    scanned: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["--db", scanned, "case", "rematch", CASE, "--dry-run"]) == ExitCode.OK
    out = capsys.readouterr().out
    assert "revision 1 → 2" in out
    assert "Category A" in out and "-2" in out
    assert _revision(scanned, capsys)["revision"]["number"] == 1


def test_json_difference_lists_categories_before_and_after(
    scanned: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["--db", scanned, "case", "rematch", CASE, "--dry-run", "--json"]) == ExitCode.OK
    diff = json.loads(capsys.readouterr().out)
    by_label = {c["label"]: (c["before"], c["after"]) for c in diff["categories"]}
    assert by_label["Category A"] == (2, 0) and by_label["Category C"] == (3, 0)
    assert diff["revision"] == 2 and diff["changed"] is True and diff["sets"] == []


def test_without_a_terminal_it_needs_yes(scanned: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["--db", scanned, "case", "rematch", CASE]) == ExitCode.USAGE
    err = capsys.readouterr().err
    assert "--yes" in err and len(err.strip().splitlines()) == 1
    assert _revision(scanned, capsys)["revision"]["latest"] == 1


def test_at_a_terminal_it_asks_and_no_leaves_the_case(
    scanned: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", _Terminal("n\n"))
    assert run(["--db", scanned, "case", "rematch", CASE]) == ExitCode.OK
    err = capsys.readouterr().err
    assert "Make revision 2 of case OP-REMATCH?" in err and "Not applied" in err
    assert _revision(scanned, capsys)["revision"]["latest"] == 1
    monkeypatch.setattr(sys, "stdin", _Terminal("y\n"))
    assert run(["--db", scanned, "case", "rematch", CASE]) == ExitCode.OK
    assert "revision 2 made" in capsys.readouterr().err
    assert _revision(scanned, capsys)["revision"]["latest"] == 2


def test_yes_makes_revision_2_and_reports_show_either(
    scanned: str, capsys: pytest.CaptureFixture[str]
) -> None:
    first = _revision(scanned, capsys)
    assert run(["--db", scanned, "case", "rematch", CASE, "--yes"]) == ExitCode.OK
    assert "revision 2 made (revision 1 is kept)" in capsys.readouterr().err
    latest = _revision(scanned, capsys)
    shown = latest["revision"]
    assert shown["number"] == 2 and shown["kind"] == "rematch"
    assert latest["summary"]["categories"] == {}
    again = _revision(scanned, capsys, "--revision", "1")
    assert again["summary"] == {**first["summary"], "latest_revision": 2}
    assert again["hits"] == first["hits"] and again["hashsets"] == first["hashsets"]
    assert any("revision 1" in note for note in again["notes"])
    capsys.readouterr()
    assert run(["--db", scanned, "audit", "show", CASE, "--json"]) == ExitCode.OK
    actions = [e["action"] for e in json.loads(capsys.readouterr().out)]
    assert actions.count("case.rematch") == 1


def test_an_unknown_revision_is_one_line(scanned: str, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    code = run(["--db", scanned, "report", CASE, "--format", "json", "--revision", "7"])
    assert code == ExitCode.FAILURE
    assert (
        capsys.readouterr().err.strip() == "vigil: error: the case has no revision 7 (revisions: 1)"
    )
