"""``vigil case items``: every item of a case in each format, filters, the audit line, and
one-line errors (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from vigil.cli.exit_codes import ExitCode
from vigil.cli.main import run
from vigil.scan.pipeline import ScanOptions, run_scan
from vigil.store.engine import open_store

CASE = "OP-ITEMS"


@pytest.fixture
def scanned(db_url: str, tmp_path: Path) -> tuple[str, Path]:
    """A database URL with CASE scanned from an empty file, a text document and an error item."""
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    (evidence / "empty.dat").write_bytes(b"")
    (evidence / "letter.txt").write_text("Dear Sir\n", encoding="utf-8")
    (evidence / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(40))
    store = open_store(db_url)
    try:
        run_scan(store, [evidence], ScanOptions(case=CASE, workers=1))
    finally:
        store.close()
    return db_url, evidence


def test_csv_to_stdout_lists_every_item(
    scanned: tuple[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    db, _ = scanned
    assert run(["--db", db, "case", "items", CASE]) == ExitCode.OK
    captured = capsys.readouterr()
    rows = list(csv.DictReader(io.StringIO(captured.out, newline="")))
    assert {r["name"] for r in rows} == {"evidence", "empty.dat", "letter.txt", "broken.jpg"}
    assert f"Wrote 4 items of case {CASE} as csv to stdout" in captured.err
    digest = hashlib.sha256(captured.out.encode("utf-8")).hexdigest()
    assert f"SHA-256 {digest}" in captured.err


@pytest.mark.parametrize("fmt", ["jsonl", "dfxml", "hashdeep"])
def test_formats_to_a_file_with_filters(
    scanned: tuple[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    db, evidence = scanned
    target = tmp_path / f"out.{fmt}"
    argv = ["--db", db, "case", "items", CASE, "--format", fmt, "-o", str(target)]
    assert run([*argv, "--status", "ok", "--exhibit", "Exhibit 1"]) == ExitCode.OK
    text = target.read_text(encoding="utf-8")
    if fmt == "jsonl":
        names = {json.loads(line)["name"] for line in text.splitlines()}
        assert names == {"evidence", "empty.dat", "letter.txt"}
    elif fmt == "dfxml":
        root = ET.fromstring(text)
        assert len(root.findall("{*}fileobject")) == 3
    else:
        assert "0,d41d8cd98f00b204e9800998ecf8427e," in text
        assert str(evidence / "letter.txt") in text and "broken.jpg" not in text
    assert "Wrote 3 items" in capsys.readouterr().err


def test_location_and_family_filters(
    scanned: tuple[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    db, _ = scanned
    argv = ["--db", db, "case", "items", CASE, "--format", "jsonl"]
    assert run([*argv, "--location", "*.txt"]) == ExitCode.OK
    assert [json.loads(x)["name"] for x in capsys.readouterr().out.splitlines()] == ["letter.txt"]
    assert run([*argv, "--family", "image"]) == ExitCode.OK
    assert [json.loads(x)["name"] for x in capsys.readouterr().out.splitlines()] == ["broken.jpg"]


def test_errors_are_one_line(scanned: tuple[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    db, evidence = scanned
    assert run(["--db", db, "case", "items", CASE, "--exhibit", "JS/9"]) == ExitCode.FAILURE
    err = capsys.readouterr().err
    assert err.startswith("vigil: error: no exhibit 'JS/9'") and err.count("\n") == 1
    assert run(["--db", db, "case", "items", "NOPE"]) == ExitCode.FAILURE
    assert capsys.readouterr().err.count("\n") == 1
    inside = evidence / "inventory.csv"
    assert run(["--db", db, "case", "items", CASE, "-o", str(inside)]) == ExitCode.USAGE
    assert "inside the evidence" in capsys.readouterr().err and not inside.exists()
    assert run(["--db", db, "case", "items", CASE, "--status", "weird"]) == ExitCode.USAGE
