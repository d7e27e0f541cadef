"""``vigil lookup``: hashes from arguments, ``--file`` and stdin (``-``), one batch."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pytest

from vigil.cli.exit_codes import ExitCode
from vigil.cli.main import run

A = hashlib.md5(b"a").hexdigest()
B = hashlib.md5(b"b").hexdigest()
MISS = "0" * 32


@pytest.fixture
def imported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    listing = tmp_path / "set.csv"
    listing.write_text(f"md5,category,name\n{A},A,a.jpg\n{B},B,b.jpg\n")
    assert run(["hashset", "import", str(listing), "--name", "graded"]) == ExitCode.OK
    capsys.readouterr()


def answered(capsys: pytest.CaptureFixture[str]) -> list[tuple[str, int]]:
    return [(r["query"], len(r["hits"])) for r in json.loads(capsys.readouterr().out)]


@pytest.mark.usefixtures("imported")
def test_hashes_from_a_file_then_arguments(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    listing = tmp_path / "queries.txt"
    listing.write_text(f"# seized phone\n{A}\n\n  {MISS}  \r\n")
    assert run(["lookup", B, "--file", str(listing), "--json"]) == ExitCode.FINDINGS
    assert answered(capsys) == [(B, 1), (A, 1), (MISS, 0)]


@pytest.mark.usefixtures("imported")
def test_hashes_from_stdin(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{MISS}\n{B}\n"))
    assert run(["lookup", "-", "--json"]) == ExitCode.FINDINGS
    assert answered(capsys) == [(MISS, 0), (B, 1)]


@pytest.mark.usefixtures("imported")
def test_no_hashes_or_a_bad_line_is_a_one_line_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert run(["lookup", "-"]) == ExitCode.USAGE
    assert capsys.readouterr().err.startswith("vigil: error: no hashes given")
    listing = tmp_path / "bad.txt"
    listing.write_text(f"{A}\n{'f' * 5000}\n")
    assert run(["lookup", "--file", str(listing)]) == ExitCode.USAGE
    assert (
        capsys.readouterr().err.strip() == f"vigil: error: {listing} line 2: too long to be a hash"
    )
    assert run(["lookup", "--file", str(tmp_path / "none.txt")]) == ExitCode.USAGE
    assert "cannot read" in capsys.readouterr().err


VPDQ = Path(__file__).resolve().parents[1] / "data" / "vpdq"


def test_a_video_file_is_looked_up_by_its_frames(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reference = VPDQ / "hashes" / "pattern-hd-no-bar.txt"
    assert run(["hashset", "import", str(reference), "--name", "videos"]) == ExitCode.OK
    capsys.readouterr()
    video = VPDQ / "videos" / "pattern-hd-no-bar.mp4"
    other = VPDQ / "videos" / "doorknob-hd-no-bar.mp4"
    assert run(["lookup", "--video", str(video), "--video", str(other), "--json"]) == (
        ExitCode.FINDINGS
    )
    found, missed = json.loads(capsys.readouterr().out)
    (hit,) = found["hits"]
    assert (hit["set_name"], hit["algorithm"], hit["name"]) == (
        "videos",
        "vpdq",
        "pattern-hd-no-bar",
    )
    assert hit["frame_s"] is not None
    assert missed["hits"] == []


def test_a_file_that_is_no_video_is_a_usage_error(tmp_path: Path) -> None:
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"not a video at all" * 50)
    assert run(["lookup", "--video", str(junk)]) == ExitCode.USAGE
