"""``vigil report``: every format through the CLI, the audit entry it leaves, one-line errors."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from vigil.cli.exit_codes import ExitCode
from vigil.cli.main import run
from vigil.demo.evidence import build_demo
from vigil.hashsets import library
from vigil.scan.pipeline import ScanOptions, run_scan
from vigil.store.engine import open_store

CASE = "OP-CLI"


def _tree_digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def scanned(db_url: str, tmp_path: Path) -> Iterator[tuple[str, Path, dict[str, str]]]:
    """A database URL with the demo case scanned, the evidence folder and its digests before."""
    layout = build_demo(tmp_path / "demo")
    before = _tree_digest(layout.evidence)
    store = open_store(db_url)
    try:
        library.import_file(store, layout.vics, "demo-vics")
        library.import_file(store, layout.known_good, "kg", known_good=True)
        run_scan(store, [layout.evidence], ScanOptions(case=CASE, workers=1))
    finally:
        store.close()
    yield db_url, layout.evidence, before


def _audit(db: str, capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    capsys.readouterr()
    assert run(["--db", db, "audit", "show", CASE, "--json"]) == ExitCode.OK
    entries: list[dict[str, object]] = json.loads(capsys.readouterr().out)
    return entries


@pytest.mark.parametrize("fmt", ["html", "json", "csv", "vics"])
def test_each_format_to_a_file_is_audited(
    scanned: tuple[str, Path, dict[str, str]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    fmt: str,
) -> None:
    db, evidence, before = scanned
    logged = len(_audit(db, capsys))
    target = tmp_path / f"report.{fmt}"
    assert run(["--db", db, "report", CASE, "--format", fmt, "-o", str(target)]) == ExitCode.OK
    err = capsys.readouterr().err
    data = target.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    assert f"SHA-256 {digest}" in err
    head = re.search(r"Audit chain head in the report: seq (\d+) ([0-9a-f]{64})", err)
    assert head and int(head[1]) == logged  # the head as it stood before this report
    last = _audit(db, capsys)[-1]
    assert last["action"] == "report" and last["actor"] == "test-examiner"
    assert last["detail"] == {
        "format": fmt,
        "output": str(target.resolve()),
        "sha256": digest,
        "bytes": len(data),
        "revision": 1,  # which revision of the results the report showed
    }
    assert not list(tmp_path.glob(".*.partial"))
    assert _tree_digest(evidence) == before  # the evidence was only read


def test_json_to_stdout(
    scanned: tuple[str, Path, dict[str, str]], capsys: pytest.CaptureFixture[str]
) -> None:
    db = scanned[0]
    assert run(["--db", db, "report", CASE, "--format", "json"]) == ExitCode.OK
    data = json.loads(capsys.readouterr().out)
    assert data["summary"]["categories"]["Category B"]["total"]["instances"] == 3
    assert _audit(db, capsys)[-1]["detail"]["output"] == "-"  # type: ignore[index]


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium not installed")
def test_pdf_needs_a_file_and_is_written(
    scanned: tuple[str, Path, dict[str, str]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = scanned[0]
    assert run(["--db", db, "report", CASE, "--format", "pdf"]) == ExitCode.USAGE
    assert capsys.readouterr().err.strip() == "vigil: error: a PDF report needs -o FILE"
    target = tmp_path / "r.pdf"
    assert run(["--db", db, "report", CASE, "--format", "pdf", "-o", str(target)]) == 0
    assert target.read_bytes().startswith(b"%PDF-")


def test_errors_are_one_line_and_leave_no_entry(
    scanned: tuple[str, Path, dict[str, str]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = scanned[0]
    count = len(_audit(db, capsys))
    assert run(["--db", db, "report", "nope"]) == ExitCode.FAILURE
    err = capsys.readouterr().err.strip()
    assert err == f"vigil: error: no case named 'nope' (known: {CASE})"
    missing = tmp_path / "no-such-dir" / "r.html"
    assert run(["--db", db, "report", CASE, "-o", str(missing)]) == ExitCode.FAILURE
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"vigil: error: cannot write {missing}") and "\n" not in err
    assert len(_audit(db, capsys)) == count


def test_missing_chromium_is_one_line(
    scanned: tuple[str, Path, dict[str, str]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    target = tmp_path / "r.pdf"
    assert run(["--db", scanned[0], "report", CASE, "--format", "pdf", "-o", str(target)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("vigil: error: PDF needs Chromium, which is not installed")
    assert len(err.strip().splitlines()) == 1 and not target.exists()


def test_never_writes_into_the_evidence(
    scanned: tuple[str, Path, dict[str, str]], capsys: pytest.CaptureFixture[str]
) -> None:
    db, evidence, before = scanned
    inside = evidence / "Users" / "report.html"
    assert run(["--db", db, "report", CASE, "-o", str(inside)]) == ExitCode.USAGE
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"vigil: error: refusing to write the report to {inside}")
    assert not inside.exists() and _tree_digest(evidence) == before


def test_marking_can_be_changed_or_left_out(
    scanned: tuple[str, Path, dict[str, str]], tmp_path: Path
) -> None:
    db = scanned[0]
    page = tmp_path / "r.html"
    assert run(["--db", db, "report", CASE, "-o", str(page), "--marking", "OFFICIAL"]) == 0
    assert '<p class="marking screen-only">OFFICIAL</p>' in page.read_text()
    assert run(["--db", db, "report", CASE, "-o", str(page), "--marking", ""]) == 0
    assert "marking screen-only" not in page.read_text() and "@top-center" not in page.read_text()
